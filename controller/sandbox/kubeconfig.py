"""Kubeconfig files pointing at the double, and the CRD manifests applied to it.

``roost sandbox`` writes a kubeconfig so that kubectl, ``roost run`` and any client library
reach the double exactly as they would reach a cluster: plain HTTP on loopback, no credentials
(the double does no authentication). CRDs are applied over HTTP with the official client, as
``kubectl apply`` would, so they go through the same admission as any other write.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import kubernetes.client
import yaml

from controller.sandbox.errors import Body

CONTEXT = "roost-sandbox"


def kubeconfig(url: str, namespace: str = "default") -> Body:
    """A kubeconfig with one cluster, one user without credentials, and one current context."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": url}}],
        "users": [{"name": CONTEXT, "user": {}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: Path, url: str) -> Path:
    """Write the kubeconfig atomically (a reader never sees half a file); returns its path."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".kubeconfig-")
    with os.fdopen(handle, "w") as out:
        yaml.safe_dump(kubeconfig(url), out, sort_keys=False)
    Path(temporary).replace(path)
    return path


def read_crds(directory: Path) -> list[Body]:
    """Every CustomResourceDefinition in the YAML files of ``directory`` (none if it is absent)."""
    if not directory.is_dir():
        return []
    found: list[Body] = []
    for manifest in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
        with manifest.open() as stream:
            for document in yaml.safe_load_all(stream):
                if (
                    isinstance(document, dict)
                    and document.get("kind") == "CustomResourceDefinition"
                ):
                    found.append(document)
    return found


def apply_crds(api_client: kubernetes.client.ApiClient, crds: list[Body]) -> list[str]:
    """Create the CRDs (replacing any of the same name); returns their names.

    The generic custom-objects API takes plain dicts, so the manifests go out as written.
    """
    api = kubernetes.client.CustomObjectsApi(api_client)
    where = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    names = []
    for crd in crds:
        name = str(crd["metadata"]["name"])
        try:
            api.create_cluster_custom_object(*where, crd)
        except kubernetes.client.ApiException as e:
            if e.status != 409:
                raise
            current: Any = api.get_cluster_custom_object(*where, name)
            version = current["metadata"]["resourceVersion"]
            replacement = {**crd, "metadata": {**crd["metadata"], "resourceVersion": version}}
            api.replace_cluster_custom_object(*where, name, replacement)
        names.append(name)
    return names
