"""`roost validate` end to end through the real Typer application."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from controller.cli import app
from tests.spec.conftest import COMPLETE, FRAGMENTS, MINIMAL_CANARY, MINIMAL_TEMPLATE

runner = CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def dump(*documents: object) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)


def test_valid_files_exit_zero_with_a_summary(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.yaml", "---\n" + dump(MINIMAL_CANARY, None, MINIMAL_TEMPLATE))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "OK: 2 document(s) in 1 file(s) (1 Canary, 1 MetricTemplate)\n"


def test_all_conformance_manifests_pass_in_one_run() -> None:
    result = runner.invoke(app, ["validate", *map(str, COMPLETE)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "OK: 48 document(s) in 48 file(s) (22 Canary, 26 MetricTemplate)\n"


def test_every_fragment_fails_with_exit_one() -> None:
    result = runner.invoke(app, ["validate", *map(str, FRAGMENTS)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert {line.split(": ", 1)[0] for line in lines} == {str(path) for path in FRAGMENTS}
    assert result.stderr.endswith("problem(s), 0 unreadable file(s)\n")


def test_problem_lines_have_the_documented_format(tmp_path: Path) -> None:
    canary = {**MINIMAL_CANARY, "spec": {**MINIMAL_CANARY["spec"], "provider": "envoy"}}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    path = write(tmp_path, "bad.yaml", dump(canary, deployment))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}: Canary/podinfo: spec.provider: unknown value 'envoy'; expected 'apisix', "
        "'appmesh', 'appmesh:v1beta2', 'contour', 'gatewayapi:v1', 'gatewayapi:v1beta1', "
        "'gloo', 'istio', 'knative', 'kubernetes', 'kuma', 'linkerd', 'nginx', 'osm', "
        "'skipper', 'smi:v1alpha1', 'smi:v1alpha2', 'smi:v1alpha3' or 'traefik'",
        f"{path}: Deployment/web: kind: unsupported kind 'Deployment'; "
        "roost validates Canary, MetricTemplate, AlertProvider",
    ]
    assert result.stderr == "2 problem(s), 0 unreadable file(s)\n"


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "kind: Canary\nspec:\n  a: [1, 2\n  b: 3\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{path}:4: invalid YAML: ")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stdout == f"{path}: cannot read file: No such file or directory\n"


def test_unreadable_wins_over_invalid_and_everything_is_reported(tmp_path: Path) -> None:
    invalid = write(tmp_path, "invalid.yaml", dump({**MINIMAL_TEMPLATE, "spec": {}}))
    broken = write(tmp_path, "broken.yaml", "a: : b\n")
    result = runner.invoke(app, ["validate", str(invalid), str(broken)])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert f"{invalid}: MetricTemplate/latency: spec.provider: required field is missing" in lines
    assert any(line.startswith(f"{broken}:1: invalid YAML") for line in lines)


def test_timestamps_stay_text_as_on_the_api_server(tmp_path: Path) -> None:
    text = dump(MINIMAL_CANARY) + (
        "status:\n  phase: Succeeded\n  lastTransitionTime: 2024-05-01T10:00:00Z\n"
    )
    path = write(tmp_path, "status.yaml", text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text", ["", "---\n---\n", "# only a comment\n"])
def test_empty_documents_are_skipped(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.yaml", text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    assert result.stdout == "OK: 0 document(s) in 1 file(s)\n"


def test_a_scalar_document_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "scalar.yaml", "just text\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout == (
        f"{path}: <no kind>/<unnamed>: (document): must be a mapping (a Kubernetes object)\n"
    )


def test_files_are_required() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
