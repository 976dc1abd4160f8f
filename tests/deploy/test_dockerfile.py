"""The Dockerfile (no image is built here: there is no container engine on the test machines).
It must parse, start from python:3.11-slim, copy every package pyproject.toml ships, run as a
non-root numeric user matching the manifests, and start the console script `roost run`."""

from __future__ import annotations

import json
import re

from dockerfile_parse import DockerfileParser

from tests.deploy.conftest import PYPROJECT, REPO, container, kustomize, one

DOCKERFILE = REPO / "Dockerfile"


def parsed() -> DockerfileParser:
    return DockerfileParser(path=str(DOCKERFILE))


def instructions(name: str) -> list[str]:
    return [i["value"] for i in parsed().structure if i["instruction"] == name]


def test_every_stage_starts_from_python_311_slim() -> None:
    stages = parsed().parent_images
    assert stages
    assert set(stages) == {"python:3.11-slim"}
    assert parsed().baseimage == "python:3.11-slim"


def test_entrypoint_is_the_roost_console_script_running_the_operator() -> None:
    (entrypoint,) = instructions("ENTRYPOINT")
    (cmd,) = instructions("CMD")
    assert json.loads(entrypoint) == ["roost"]
    assert "roost" in PYPROJECT["project"]["scripts"]
    assert json.loads(cmd) == ["run"]


def test_runs_as_the_non_root_user_the_manifests_expect() -> None:
    user = instructions("USER")[-1]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0
    pod = one(kustomize("base"), "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == int(uid)
    assert pod["securityContext"]["runAsGroup"] == int(gid or uid)
    assert str(container(one(kustomize("base"), "Deployment"))["ports"][0]["containerPort"]) in (
        instructions("EXPOSE")
    )


def test_copies_every_package_pyproject_ships_and_nothing_ignored() -> None:
    sources = {
        word
        for value in instructions("COPY")
        if not value.startswith("--from")
        for word in value.split()[:-1]
    }
    find = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    needed = {pattern.rstrip("*") for pattern in find} | {"pyproject.toml", "README.md"}
    assert needed <= sources, sorted(needed - sources)
    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for name in needed:
        assert name not in ignored, name
        assert (REPO / name).exists(), name
    assert {".git", ".venv", "tests"} <= ignored


def test_installs_extras_that_exist() -> None:
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    (install,) = [v for v in instructions("RUN") if "pip install" in v]
    (wanted,) = re.findall(r"\[([a-z,]+)\]", install)
    assert set(wanted.split(",")) <= extras
    assert {"postgres", "loadtester"} <= set(wanted.split(","))
