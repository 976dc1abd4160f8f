"""``roost sandbox`` as a user runs it: a process, a kubeconfig, kubectl and the official client.

kubectl is a system dependency of the suite (``make sysdeps`` installs Debian's
``kubernetes-client`` when no kubectl is on PATH); a missing one fails loudly, never skips.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import kubernetes.client
import kubernetes.config
import pytest

from tests.sandbox.conftest import canary, deployment

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningSandbox:
    process: subprocess.Popen[str]
    kubeconfig: Path

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        return self.process.returncode, out


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    kubeconfig = tmp_path / "sandbox" / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from controller.cli import main; main()",
            "sandbox",
            "--kubeconfig-out",
            str(kubeconfig),
            "--crds",
            str(REPO / "deploy" / "crds"),
            "--ready-after",
            "0",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not kubeconfig.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not kubeconfig.exists():
            process.kill()
            pytest.fail(f"roost sandbox did not start:\n{process.communicate(timeout=30)[0]}")
        yield RunningSandbox(process, kubeconfig)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def test_roost_sandbox_serves_the_official_client_and_stops_cleanly(
    sandbox: RunningSandbox,
) -> None:
    with kubernetes.config.new_client_from_config(config_file=str(sandbox.kubeconfig)) as client:
        extensions = kubernetes.client.ApiextensionsV1Api(client)
        crd = extensions.read_custom_resource_definition("canaries.flagger.app")
        assert {c.type: c.status for c in crd.status.conditions}["Established"] == "True"
        custom = kubernetes.client.CustomObjectsApi(client)
        custom.create_namespaced_custom_object(
            "flagger.app", "v1beta1", "default", "canaries", canary("podinfo")
        )
        apps = kubernetes.client.AppsV1Api(client)
        apps.create_namespaced_deployment("default", deployment("podinfo"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status = apps.read_namespaced_deployment_status("podinfo", "default").status
            if status.available_replicas == 2:
                break
            time.sleep(0.05)
        assert status.available_replicas == 2  # the simulator runs inside the sandbox
    code, out = sandbox.stop()
    assert code == 0, out
    assert f"export KUBECONFIG={sandbox.kubeconfig}" in out
    assert "Roost sandbox stopped." in out


def _kubectl(kubeconfig: Path, *args: str) -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail(
            "kubectl is not installed: run `make sysdeps` (Debian's kubernetes-client)",
            pytrace=False,
        )
    done = subprocess.run(
        [kubectl, "--kubeconfig", str(kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_kubectl_reads_and_writes_the_sandbox(sandbox: RunningSandbox, tmp_path: Path) -> None:
    crds = _kubectl(sandbox.kubeconfig, "get", "crds", "-o", "name").split()
    assert "customresourcedefinition.apiextensions.k8s.io/canaries.flagger.app" in crds
    manifest = tmp_path / "canary.yaml"
    manifest.write_text(
        "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: podinfo}\n"
        "spec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n"
        "  service: {port: 9898}\n  analysis: {interval: 1m, threshold: 5}\n"
    )
    # No OpenAPI documents are served, so kubectl cannot validate client-side.
    _kubectl(sandbox.kubeconfig, "apply", "--validate=false", "-f", str(manifest))
    listed = _kubectl(sandbox.kubeconfig, "get", "canaries", "--all-namespaces", "-o", "name")
    assert listed.split() == ["canary.flagger.app/podinfo"]
    _kubectl(sandbox.kubeconfig, "create", "deployment", "web", "--image=nginx:1.25")
    _kubectl(sandbox.kubeconfig, "rollout", "status", "deployment/web", "--timeout=20s")
    _kubectl(sandbox.kubeconfig, "delete", "canary", "podinfo")
    assert _kubectl(sandbox.kubeconfig, "get", "canaries", "-o", "name").split() == []
    code, out = sandbox.stop()
    assert code == 0, out
