"""The generated CRDs: committed copies are current, structural, accept the examples, and cover
every field Flagger's CRDs accept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from controller import crdgen
from tests.spec.conftest import COMPLETE, FLAGGER_CRDS, FRAGMENTS, load_all

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "deploy" / "crds"
JUNCTORS = ("oneOf", "anyOf", "not", "allOf")


def schemas_by_kind() -> dict[str, dict[str, Any]]:
    return {crd.kind: crdgen.structural_schema(crd.model) for crd in crdgen.CRDS}


def flagger_schemas_by_kind() -> dict[str, dict[str, Any]]:
    found = {}
    for crd in load_all(FLAGGER_CRDS):
        (version,) = crd["spec"]["versions"]
        found[crd["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]
    return found


def test_committed_crds_match_a_fresh_generation() -> None:
    fresh = crdgen.render_files()
    assert sorted(path.name for path in COMMITTED.glob("*.yaml")) == sorted(fresh)
    for name, text in fresh.items():
        assert (COMMITTED / name).read_text(encoding="utf-8") == text, (
            f"deploy/crds/{name} is stale: run `make crds`"
        )


def test_generator_writes_the_files(tmp_path: Path) -> None:
    assert crdgen.main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "alertproviders.yaml",
        "canaries.yaml",
        "metrictemplates.yaml",
    ]
    assert crdgen.main([]) == 2


@pytest.mark.parametrize("crd", crdgen.CRDS, ids=lambda crd: crd.kind)
def test_crd_envelope_matches_flagger(crd: crdgen.Crd) -> None:
    ours = yaml.safe_load((COMMITTED / crd.file_name).read_text(encoding="utf-8"))
    flagger = {doc["spec"]["names"]["kind"]: doc for doc in load_all(FLAGGER_CRDS)}[crd.kind]
    assert ours["metadata"] == {
        "name": flagger["metadata"]["name"],
        "annotations": {"helm.sh/resource-policy": "keep"},
    }
    assert ours["spec"]["names"] == flagger["spec"]["names"]
    assert ours["spec"]["scope"] == "Namespaced"
    (version,) = ours["spec"]["versions"]
    (theirs,) = flagger["spec"]["versions"]
    for key in ("name", "served", "storage", "subresources", "additionalPrinterColumns"):
        assert version[key] == theirs[key], key


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not isinstance(node, Mapping):
        return
    yield path, node
    for name, sub in node.get("properties", {}).items():
        yield from walk(sub, f"{path}.{name}")
    if isinstance(node.get("items"), Mapping):
        yield from walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), Mapping):
        yield from walk(node["additionalProperties"], f"{path}{{*}}")


def junctor_nodes(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from junctor_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from junctor_nodes(value)


@pytest.mark.parametrize("kind", ["Canary", "MetricTemplate", "AlertProvider"])
def test_schema_is_structural(kind: str) -> None:
    schema = schemas_by_kind()[kind]
    for path, node in walk(schema):
        assert "type" in node or node.get("x-kubernetes-int-or-string"), path
        assert not {"$ref", "$defs", "title", "default", "const", "nullable"} & set(node), path
        assert not ("properties" in node and "additionalProperties" in node), path
        if "properties" in node:
            assert node["type"] == "object", path
        for junctor in JUNCTORS:
            for branch in junctor_nodes(node.get(junctor, [])):
                allowed = {"required", "anyOf", "oneOf", "not", "type"}
                assert set(branch) <= allowed, (path, branch)
                if "type" in branch:
                    assert node.get("x-kubernetes-int-or-string"), (path, branch)


def validator_for(kind: str) -> jsonschema.protocols.Validator:
    schema = schemas_by_kind()[kind]
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("path", COMPLETE, ids=lambda p: p.stem)
def test_complete_examples_validate_against_the_generated_schema(path: Path) -> None:
    (document,) = load_all(path)
    errors = list(validator_for(document["kind"]).iter_errors(document))
    assert errors == []


@pytest.mark.parametrize("path", FRAGMENTS, ids=lambda p: p.stem)
def test_fragments_fail_the_generated_schema(path: Path) -> None:
    (document,) = load_all(path)
    assert not validator_for(document["kind"]).is_valid(document)


@pytest.mark.parametrize(
    ("mutation", "valid"),
    [
        ({"interval": "1m30s"}, True),
        ({"interval": "1h"}, False),
        ({"interval": "5mfoo"}, False),
        ({"iterations": 3}, False),
        ({"stepWeight": "10"}, False),
    ],
)
def test_schema_carries_durations_and_one_of(mutation: dict[str, Any], valid: bool) -> None:
    document = load_all(COMPLETE[0])[0]
    document["spec"]["analysis"].update(mutation)
    assert validator_for("Canary").is_valid(document) is valid


_COMPATIBLE = {
    "string": {"string"},
    "boolean": {"boolean"},
    "object": {"object"},
    "array": {"array"},
    "number": {"number", "integer"},
    "integer": {"integer"},
}


def lookup(schema: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    """Follow a walk() path in our schema; None where it is missing, an open node when open."""
    node = schema
    tokens = path.replace("[]", ".[]").replace("{*}", ".{*}").split(".")[1:]
    for token in tokens:
        if node.get("x-kubernetes-preserve-unknown-fields"):
            return node
        if token == "[]":
            found = node.get("items")
        elif token == "{*}":
            found = node.get("additionalProperties")
        else:
            found = node.get("properties", {}).get(token)
        if not isinstance(found, Mapping):
            return None
        node = found
    return node


@pytest.mark.parametrize("kind", ["Canary", "MetricTemplate", "AlertProvider"])
def test_every_field_flagger_accepts_is_accepted(kind: str) -> None:
    ours = schemas_by_kind()[kind]
    missing, clashing = [], []
    for path, theirs in walk(flagger_schemas_by_kind()[kind]):
        node = lookup(ours, path)
        if node is None:
            missing.append(path)
            continue
        if node.get("x-kubernetes-preserve-unknown-fields"):
            continue  # an open value accepts whatever Flagger's schema details below it
        if "type" in theirs and node.get("type") not in _COMPATIBLE[theirs["type"]]:
            clashing.append(f"{path}: {theirs['type']} vs {node['type']}")
        if "enum" in theirs and not set(theirs["enum"]) <= set(node.get("enum", ())):
            clashing.append(f"{path}: enum {theirs['enum']} vs {node.get('enum')}")
    assert missing == []
    assert clashing == []
