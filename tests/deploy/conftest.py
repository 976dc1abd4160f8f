"""Builders for the deploy tests: render the kustomizations and the Helm chart, find objects in
the result, and validate them against the Kubernetes OpenAPI schemas.

Kustomizations are rendered by ``kubectl kustomize`` (Debian's kubernetes-client, installed by
``make sysdeps``); the chart by Helm's own Go SDK through ``helm_python`` (the
``helm-python-sdk`` test dependency), so what is checked is what ``helm template`` produces.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import kubernetes_validate
import typer.main
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUSTOMIZE = DEPLOY / "kustomize"
CHART = DEPLOY / "chart" / "roost"
K8S_VERSION = "1.30"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

Manifest = dict[str, Any]

OPERATOR_SETTINGS = frozenset(
    f"ROOST_{flag.upper().replace('-', '_')}"
    for flag in (
        "kubeconfig",
        "ledger",
        "namespace",
        "metrics-server",
        "mesh-provider",
        "selector-labels",
        "include-label-prefix",
        "enable-config-tracking",
        "slack-url",
        "slack-channel",
        "slack-user",
        "msteams-url",
        "event-webhook",
        "cluster-name",
        "no-cross-namespace-refs",
        "enable-leader-election",
        "leader-election-namespace",
        "log-level",
        "port",
    )
)
"""The environment variables of ``roost run`` (issue 8: each flag is also settable this way)."""


def kustomize(overlay: str) -> list[Manifest]:
    """The objects ``kubectl kustomize deploy/kustomize/<overlay>`` renders."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is missing: run `make sysdeps` (Debian's kubernetes-client)"
    done = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"kubectl kustomize {overlay} failed:\n{done.stderr}"
    return documents(done.stdout)


def helm_template(
    values: Mapping[str, Any] | None = None, *, namespace: str = "roost-system"
) -> list[Manifest]:
    """The objects the chart renders for ``values`` as release ``roost`` (NOTES.txt left out)."""
    import helm_python  # the Go runtime loads only for the tests that render the chart

    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(dict(values or {}), name="roost", namespace=namespace)
    found: list[Manifest] = []
    for path in sorted(rendered):
        if not path.endswith("NOTES.txt"):
            found.extend(documents(rendered[path]))
    return found


def helm_notes(values: Mapping[str, Any] | None = None) -> str:
    import helm_python

    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(dict(values or {}), name="roost", namespace="roost-system")
    return rendered["roost/templates/NOTES.txt"]


def documents(text: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def assert_valid(manifest: Manifest) -> None:
    """Strict OpenAPI validation (no unknown fields). Every kind deploy/ writes is built in or a
    CustomResourceDefinition, so a missing schema fails too rather than being skipped."""
    kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def of_kind(manifests: Iterable[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m.get("kind") == kind]


def one(manifests: Iterable[Manifest], kind: str) -> Manifest:
    found = of_kind(manifests, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def container(deployment: Manifest) -> Manifest:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(deployment: Manifest) -> dict[str, Manifest]:
    return {e["name"]: e for e in container(deployment).get("env") or []}


def command_options(name: str) -> dict[str, str | None] | None:
    """Option → environment variable of ``roost <name>``, or None while the command is absent."""
    from controller.cli import app

    group = typer.main.get_command(app)
    command = getattr(group, "commands", {}).get(name)
    if command is None:
        return None
    options: dict[str, str | None] = {}
    for param in command.params:
        envvar = param.envvar if isinstance(param.envvar, str) else None
        for opt in param.opts:
            options[opt] = envvar
    return options


def rules_as_triples(role: Manifest) -> set[tuple[str, str, str]]:
    """(apiGroup, resource, verb) for every permission a Role or ClusterRole grants."""
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule.get("apiGroups") or []
        for resource in rule.get("resources") or []
        for verb in rule["verbs"]
    }
