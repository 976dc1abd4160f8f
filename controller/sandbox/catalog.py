"""Which resources the double serves, and the per-resource rules the store applies to them.

A real apiserver knows, for every resource, its kind, whether it is namespaced, which
subresources are isolated, whether ``metadata.generation`` is kept, and whether strategic merge
patches are accepted (built-in types only). The store and the HTTP layer read those facts from
here rather than guessing them from a URL. Resources come from three places: kmock's bundled
discovery data for the built-in groups of a real cluster, ``custom_types`` for Flagger and the
routers it drives, and CustomResourceDefinitions created at run time (``from_crd``).

Storage is per group and plural, not per version: a resource served in several versions (HPA
``autoscaling/v1`` and ``v2``, ``HTTPRoute`` ``v1`` and ``v1beta1``) is one set of objects, as in
a real cluster, though no schema conversion happens between versions.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from controller.sandbox.errors import Body

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUBRESOURCE_VERBS = ("get", "patch", "update")

BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "coordination.k8s.io",
        "events.k8s.io",
        "discovery.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "node.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "certificates.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "metrics.k8s.io",
        "resource.k8s.io",
        "storagemigration.k8s.io",
        "internal.apiserver.k8s.io",
    }
)
"""Groups compiled into kube-apiserver; every other group is served from a CRD."""

_GENERATION_BUILTINS = frozenset(
    {
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("policy", "poddisruptionbudgets"),
        ("networking.k8s.io", "ingresses"),
        ("networking.k8s.io", "networkpolicies"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
        ("", "replicationcontrollers"),
    }
)
"""Built-in resources whose registry strategy keeps ``metadata.generation`` (all CRs do)."""


@dataclass(frozen=True)
class ScaleSpec:
    """Where a resource keeps what its ``/scale`` subresource shows (CRD ``subresources.scale``).

    Paths are the CRD's JSON paths (``.spec.replicas``). Built-in workloads use the defaults and
    take the selector from ``spec.selector``.
    """

    spec_replicas_path: str = ".spec.replicas"
    status_replicas_path: str = ".status.replicas"
    label_selector_path: str | None = None


@dataclass(frozen=True)
class ResourceType:
    """One resource (group and plural) with the facts the store and discovery need."""

    group: str
    plural: str
    kind: str
    versions: tuple[str, ...]
    """Served versions, preferred first."""
    namespaced: bool = True
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status: bool = False
    """Whether ``status`` is an isolated subresource: main writes keep it, /status sets only it."""
    scale: ScaleSpec | None = None
    generation: bool = True
    """Whether spec changes bump ``metadata.generation``."""
    builtin: bool = False
    """Built-in types accept strategic merge patches and unconditional updates; CRs do not."""
    verbs: tuple[str, ...] = ALL_VERBS
    other_subresources: tuple[str, ...] = ()
    """Subresources listed in discovery that the double does not serve (``pods/log``)."""
    field_labels: tuple[str, ...] = field(default=())
    """Field-selector paths accepted besides ``metadata.name`` and ``metadata.namespace``."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """A sort key putting versions in Kubernetes' order: v2, v1, v1beta2, v1beta1, v1alpha1, zz.

    GA before beta before alpha, higher numbers first, anything unconventional last by name. This
    decides the preferred version in discovery, which is what kubectl and the dynamic client use.
    """
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = int(match[1]), match[2], int(match[3] or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


def sort_versions(versions: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(versions), key=version_priority))


class Catalog:
    """The resources being served, changed at run time by CRDs; safe to use from any thread."""

    def __init__(self, types: Iterable[ResourceType] = ()) -> None:
        self._lock = threading.Lock()
        self._types: dict[tuple[str, str], ResourceType] = {}
        for resource_type in types:
            self.register(resource_type)

    def register(self, resource_type: ResourceType) -> None:
        """Add a resource, or replace its definition (a CRD overriding a pre-registered type)."""
        with self._lock:
            self._types[resource_type.key] = resource_type

    def unregister(self, group: str, plural: str) -> ResourceType | None:
        with self._lock:
            return self._types.pop((group, plural), None)

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The resource served at ``group/version/plural``, or None (the apiserver's 404)."""
        with self._lock:
            found = self._types.get((group, plural))
        if found is None or version not in found.versions:
            return None
        return found

    def get(self, group: str, plural: str) -> ResourceType | None:
        with self._lock:
            return self._types.get((group, plural))

    def find_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The resource of a kind, for following ownerReferences and Scale targets."""
        group, _, version = api_version.rpartition("/")
        with self._lock:
            types = list(self._types.values())
        for found in types:
            if found.group == group and found.kind == kind and version in found.versions:
                return found
        return None

    def resolve(self, text: str) -> ResourceType:
        """A resource named as people write it: ``deployments``, ``deployments.apps``,
        ``apps/v1/deployments``, ``v1/pods``, or a kind such as ``Deployment``.

        A bare plural or kind prefers the core group, then must be unambiguous.
        Raises ``LookupError`` when nothing (or more than one thing) matches.
        """
        if "/" in text:
            *head, plural = text.split("/")
            group = head[0] if len(head) == 2 else ""
            candidates = [t for t in self if t.group == group and t.plural == plural]
        elif "." in text:
            plural, _, group = text.partition(".")
            candidates = [t for t in self if t.group == group and t.plural == plural]
        else:
            lowered = text.lower()
            candidates = [
                t
                for t in self
                if lowered in (t.plural, t.kind.lower(), t.singular) or lowered in t.short_names
            ]
            core = [t for t in candidates if t.group == ""]
            candidates = core or candidates
        if len(candidates) != 1:
            found = sorted(f"{t.plural}.{t.group}" for t in candidates)
            raise LookupError(f"{text!r} names {len(candidates)} resources: {found}")
        return candidates[0]

    def __iter__(self) -> Iterator[ResourceType]:
        with self._lock:
            return iter(list(self._types.values()))

    def group_versions(self) -> dict[str, tuple[str, ...]]:
        """Every group with its served versions, preferred first (core group as ``""``)."""
        found: dict[str, set[str]] = {}
        for resource_type in self:
            found.setdefault(resource_type.group, set()).update(resource_type.versions)
        return {group: sort_versions(versions) for group, versions in sorted(found.items())}


@functools.cache
def builtin_types() -> tuple[ResourceType, ...]:
    """The built-in resources of a real cluster, from kmock's bundled discovery data (k3s).

    Read once per process. kmock's own ``load_bundled`` uses a deprecated importlib API (a
    warning, hence an error in our tests), so its data file is read here the current way.
    """
    import kmock  # the optional ``sandbox`` extra; imported where it is needed

    data = importlib.resources.files("kmock._internal").joinpath("resources.json.gz")
    bundled: Any = kmock.ResourcesArray()
    bundled.load_data(gzip.decompress(data.read_bytes()))
    merged: dict[tuple[str, str], ResourceType] = {}
    for resource in bundled:
        info = bundled[resource]
        group, version, plural = str(resource.group), str(resource.version), str(resource.plural)
        subresources = set(info.subresources)
        builtin = group in BUILTIN_GROUPS
        found = ResourceType(
            group=group,
            plural=plural,
            kind=str(info.kind),
            versions=(version,),
            namespaced=bool(info.namespaced),
            singular=str(info.singular or plural),
            short_names=tuple(sorted(info.shortnames)),
            categories=tuple(sorted(info.categories)),
            status="status" in subresources,
            scale=ScaleSpec() if "scale" in subresources else None,
            generation=not builtin or (group, plural) in _GENERATION_BUILTINS,
            builtin=builtin,
            verbs=tuple(sorted(info.verbs)) or ALL_VERBS,
            other_subresources=tuple(sorted(subresources - {"status", "scale"})),
            field_labels=_BUILTIN_FIELD_LABELS.get((group, plural), ()),
        )
        previous = merged.get(found.key)
        if previous is not None:
            found = replace(found, versions=sort_versions(previous.versions + found.versions))
        merged[found.key] = found
    return tuple(merged.values())


_BUILTIN_FIELD_LABELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "events"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("", "pods"): ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "status.phase"),
    ("", "secrets"): ("type",),
    ("", "namespaces"): ("status.phase",),
}


def from_crd(crd: Body) -> ResourceType:
    """The resource a CustomResourceDefinition declares (served versions only).

    Subresources are read from the preferred version, as they rarely differ between versions.
    Raises ``KeyError`` or ``ValueError`` on a CRD that lacks the required fields.
    """
    spec = crd["spec"]
    names = spec["names"]
    served = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not served:
        raise ValueError("spec.versions must have at least one served version")
    versions = sort_versions(v["name"] for v in served)
    preferred = next(v for v in served if v["name"] == versions[0])
    subresources = preferred.get("subresources") or {}
    scale_spec = subresources.get("scale")
    scale = None
    if scale_spec is not None:
        scale = ScaleSpec(
            spec_replicas_path=scale_spec.get("specReplicasPath", ".spec.replicas"),
            status_replicas_path=scale_spec.get("statusReplicasPath", ".status.replicas"),
            label_selector_path=scale_spec.get("labelSelectorPath"),
        )
    return ResourceType(
        group=spec["group"],
        plural=names["plural"],
        kind=names["kind"],
        versions=versions,
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        singular=names.get("singular") or names["kind"].lower(),
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        status="status" in subresources,
        scale=scale,
    )
