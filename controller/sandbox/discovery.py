"""The discovery documents: ``/api``, ``/apis``, ``/apis/<group>[/<version>]`` and ``/version``.

kubectl, the dynamic client and RESTMappers find every resource through these before they make a
single request, and pick the preferred version of a group from them; kmock's own documents pick
that version by set order, so they are served here from the catalog instead, in Kubernetes'
version order. Only the legacy (non-aggregated) discovery format is served; clients that ask for
the aggregated one fall back to it, as they do with older clusters.
"""

from __future__ import annotations

from controller.sandbox.catalog import SUBRESOURCE_VERBS, Catalog, ResourceType
from controller.sandbox.errors import Body

SERVER_VERSION: Body = {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.0-roost-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-04-17T00:00:00Z",
    "goVersion": "go1.22.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}
"""What ``/version`` reports: a 1.30 cluster, whose behaviour the double follows."""


def api_versions(address: str) -> Body:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _group_entry(group: str, versions: tuple[str, ...]) -> Body:
    return {
        "name": group,
        "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
        "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
    }


def group_list(catalog: Catalog) -> Body:
    groups = [
        _group_entry(group, versions)
        for group, versions in catalog.group_versions().items()
        if group
    ]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(catalog: Catalog, name: str) -> Body | None:
    versions = catalog.group_versions().get(name)
    if not name or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(name, versions)}


def _entries(rt: ResourceType) -> list[Body]:
    main: Body = {
        "name": rt.plural,
        "singularName": rt.singular or rt.kind.lower(),
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        main["shortNames"] = list(rt.short_names)
    if rt.categories:
        main["categories"] = list(rt.categories)
    entries = [main]
    if rt.status:
        entries.append(
            {
                "name": f"{rt.plural}/status",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(SUBRESOURCE_VERBS),
            }
        )
    if rt.scale is not None:
        entries.append(
            {
                "name": f"{rt.plural}/scale",
                "singularName": "",
                "namespaced": rt.namespaced,
                "group": "autoscaling",
                "version": "v1",
                "kind": "Scale",
                "verbs": list(SUBRESOURCE_VERBS),
            }
        )
    for other in rt.other_subresources:
        entries.append(
            {
                "name": f"{rt.plural}/{other}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": ["get"],
            }
        )
    return entries


def resource_list(catalog: Catalog, group_name: str, version: str) -> Body | None:
    served = [rt for rt in catalog if rt.group == group_name and version in rt.versions]
    if not served:
        return None
    served.sort(key=lambda rt: rt.plural)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group_name}/{version}" if group_name else version,
        "resources": [entry for rt in served for entry in _entries(rt)],
    }


def root_paths(catalog: Catalog) -> Body:
    paths = {"/api", "/api/v1", "/apis", "/version", "/healthz", "/readyz", "/livez"}
    for group_name, versions in catalog.group_versions().items():
        if group_name:
            paths.add(f"/apis/{group_name}")
            paths.update(f"/apis/{group_name}/{v}" for v in versions)
    return {"paths": sorted(paths)}
