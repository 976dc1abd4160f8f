"""ConfigMap/Secret tracking: discovery, checksums, renaming and copies (flagger-objects §1.3)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from effects.configs import (
    ConfigRef,
    checksum_of,
    discover_refs,
    rename_refs,
    render_config_copy,
    track,
)
from effects.errors import RenderError
from tests.effects.conftest import assert_valid, canary

POD_SPEC: dict[str, Any] = {
    "containers": [
        {
            "name": "app",
            "image": "x",
            "env": [
                {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "env-cm", "key": "a"}}},
                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "env-sec", "key": "b"}}},
                {"name": "C", "value": "plain"},
            ],
            "envFrom": [
                {"configMapRef": {"name": "from-cm"}},
                {"secretRef": {"name": "from-sec", "optional": True}},
            ],
        }
    ],
    "initContainers": [
        {
            "name": "init",
            "image": "x",
            "envFrom": [{"configMapRef": {"name": "init-cm"}}],
        }
    ],
    "volumes": [
        {"name": "v1", "configMap": {"name": "vol-cm"}},
        {"name": "v2", "secret": {"secretName": "vol-sec"}},
        {
            "name": "v3",
            "projected": {
                "sources": [
                    {"configMap": {"name": "proj-cm"}},
                    {"secret": {"name": "proj-sec"}},
                ]
            },
        },
        {"name": "v4", "emptyDir": {}},
    ],
}


def _cm(name: str, data: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "test", **meta},
        "data": data or {"k": name},
    }


def _secret(name: str, type_: str = "Opaque") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "test"},
        "type": type_,
        "data": {"password": "c2VjcmV0"},
    }


def _world() -> dict[str, dict[str, Any]]:
    objects = [_cm(n) for n in ("env-cm", "from-cm", "init-cm", "vol-cm", "proj-cm")]
    objects += [_secret(n) for n in ("env-sec", "vol-sec", "proj-sec")]
    return {f"{o['kind'].lower()}/{o['metadata']['name']}": o for o in objects}


def test_discovery_covers_every_source() -> None:
    keys = {ref.key for ref in discover_refs(POD_SPEC)}
    assert keys == {
        "configmap/env-cm",
        "secret/env-sec",
        "configmap/from-cm",
        "secret/from-sec",
        "configmap/init-cm",
        "configmap/vol-cm",
        "secret/vol-sec",
        "configmap/proj-cm",
        "secret/proj-sec",
    }
    assert ConfigRef("secret", "from-sec", optional=True) in discover_refs(POD_SPEC)


def test_missing_optional_is_skipped_missing_mandatory_fails() -> None:
    tracked = track(POD_SPEC, _world())
    assert "secret/from-sec" not in tracked.checksums
    assert len(tracked.checksums) == 8
    world = _world()
    del world["configmap/init-cm"]
    with pytest.raises(RenderError, match="configmap init-cm"):
        track(POD_SPEC, world)


def test_disabled_and_untracked_secret_types_are_skipped() -> None:
    world = _world()
    world["configmap/vol-cm"] = _cm(
        "vol-cm", annotations={"flagger.app/config-tracking": "disabled"}
    )
    world["secret/vol-sec"] = _secret("vol-sec", "kubernetes.io/dockerconfigjson")
    world["secret/proj-sec"] = _secret("proj-sec", "kubernetes.io/tls")
    tracked = track(POD_SPEC, world)
    assert "configmap/vol-cm" not in tracked.checksums
    assert "secret/vol-sec" not in tracked.checksums
    assert "secret/proj-sec" in tracked.checksums


def test_checksum_is_sha256_of_go_json_data() -> None:
    obj = _cm("x", {"b": "<&>", "a": "1"})
    go_json = b'{"a":"1","b":"\\u003c\\u0026\\u003e"}'
    assert checksum_of(obj) == hashlib.sha256(go_json).hexdigest()[:16]
    assert len(checksum_of(obj)) == 16
    assert checksum_of({"data": None}) == hashlib.sha256(b"null").hexdigest()[:16]
    changed = _cm("x", {"b": "<&>", "a": "2"})
    assert checksum_of(changed) != checksum_of(obj)


def test_secret_values_leave_only_as_checksums() -> None:
    tracked = track(POD_SPEC, _world())
    assert "c2VjcmV0" not in repr(tracked.checksums)


def test_rename_covers_every_source() -> None:
    tracked = track(POD_SPEC, _world()).checksums
    spec = rename_refs(POD_SPEC, tracked)
    container = spec["containers"][0]
    assert container["env"][0]["valueFrom"]["configMapKeyRef"]["name"] == "env-cm-primary"
    assert container["env"][1]["valueFrom"]["secretKeyRef"]["name"] == "env-sec-primary"
    assert container["envFrom"][0]["configMapRef"]["name"] == "from-cm-primary"
    assert container["envFrom"][1]["secretRef"]["name"] == "from-sec"  # optional, missing
    assert spec["initContainers"][0]["envFrom"][0]["configMapRef"]["name"] == "init-cm-primary"
    volumes = spec["volumes"]
    assert volumes[0]["configMap"]["name"] == "vol-cm-primary"
    assert volumes[1]["secret"]["secretName"] == "vol-sec-primary"
    sources = volumes[2]["projected"]["sources"]
    assert sources == [
        {"configMap": {"name": "proj-cm-primary"}},
        {"secret": {"name": "proj-sec-primary"}},
    ]
    assert POD_SPEC["volumes"][0]["configMap"]["name"] == "vol-cm"  # input untouched


def test_copy_of_a_configmap() -> None:
    source = _cm("cfg", labels={"team": "a", "app": "b"})
    source["binaryData"] = {"bin": "AAAA"}
    source["metadata"]["annotations"] = {"x": "y"}
    out = render_config_copy(source, canary(), ("team",))
    assert_valid(out)
    assert out["metadata"]["name"] == "cfg-primary"
    assert out["metadata"]["labels"] == {"team": "a"}
    assert "annotations" not in out["metadata"]
    assert "binaryData" not in out
    assert out["data"] == {"k": "cfg"}
    assert out["metadata"]["ownerReferences"][0]["controller"] is True


def test_copy_of_a_secret_keeps_type_and_data() -> None:
    out = render_config_copy(_secret("s", "kubernetes.io/basic-auth"), canary(), ("",))
    assert_valid(out)
    assert out["type"] == "kubernetes.io/basic-auth"
    assert out["data"] == {"password": "c2VjcmV0"}


def test_copy_shared_by_several_canaries_keeps_their_references() -> None:
    existing = _cm("cfg-primary")
    existing["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "flagger.app/v1beta1",
            "kind": "Canary",
            "name": "other",
            "uid": "u2",
            "controller": True,
        },
        {"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": "podinfo", "uid": "old"},
    ]
    out = render_config_copy(_cm("cfg"), canary(), ("",), existing)
    refs = out["metadata"]["ownerReferences"]
    assert [(r["name"], r["controller"]) for r in refs] == [("podinfo", True), ("other", False)]
    assert refs[0]["uid"] == "c-uid-1"
