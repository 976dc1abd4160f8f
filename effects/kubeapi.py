"""Raw Kubernetes reads and writes through the official client, and the one error choke point.

The applier needs only get/create/patch on a handful of kinds, addressed by apiVersion and kind.
They go through ``kubernetes.client.ApiClient.call_api`` with a small path table, so every kind —
built-in or custom (KEDA, Knative) — takes the same route and yields plain dicts (the JSON edge).
:func:`classify` is where API failures become outcomes: conflict, or error retryable/permanent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kubernetes.client
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from effects.errors import EffectsError

_RESOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("", "ConfigMap"): ("configmaps", True),
    ("", "Secret"): ("secrets", True),
    ("", "Service"): ("services", True),
    ("apps", "Deployment"): ("deployments", True),
    ("apps", "DaemonSet"): ("daemonsets", True),
    ("autoscaling", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("networking.k8s.io", "Ingress"): ("ingresses", True),
    ("keda.sh", "ScaledObject"): ("scaledobjects", True),
    ("serving.knative.dev", "Service"): ("services", True),
    ("networking.istio.io", "VirtualService"): ("virtualservices", True),
    ("networking.istio.io", "DestinationRule"): ("destinationrules", True),
    ("split.smi-spec.io", "TrafficSplit"): ("trafficsplits", True),
    ("appmesh.k8s.aws", "VirtualNode"): ("virtualnodes", True),
    ("appmesh.k8s.aws", "VirtualRouter"): ("virtualrouters", True),
    ("appmesh.k8s.aws", "VirtualService"): ("virtualservices", True),
    ("projectcontour.io", "HTTPProxy"): ("httpproxies", True),
    ("gateway.solo.io", "RouteTable"): ("routetables", True),
    ("gloo.solo.io", "Upstream"): ("upstreams", True),
    ("traefik.io", "TraefikService"): ("traefikservices", True),
    ("traefik.containo.us", "TraefikService"): ("traefikservices", True),
    ("apisix.apache.org", "ApisixRoute"): ("apisixroutes", True),
    ("kuma.io", "TrafficRoute"): ("trafficroutes", False),
    ("gateway.networking.k8s.io", "HTTPRoute"): ("httproutes", True),
    ("flagger.app", "Canary"): ("canaries", True),
    ("flagger.app", "MetricTemplate"): ("metrictemplates", True),
    ("flagger.app", "AlertProvider"): ("alertproviders", True),
    ("", "Event"): ("events", True),
    ("coordination.k8s.io", "Lease"): ("leases", True),
    ("serving.knative.dev", "Revision"): ("revisions", True),
}
"""Plural and scope of every kind Roost reads or writes, by API group and kind."""


def plural_of(api_version: str, kind: str) -> tuple[str, bool]:
    """The resource plural of ``kind`` and whether it is namespaced (watches build paths too)."""
    group = api_version.rpartition("/")[0]
    try:
        return _RESOURCES[(group, kind)]
    except KeyError:
        raise UnknownKindError(f"no API path for {api_version} {kind}") from None


_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_DETAIL_LIMIT = 300

REQUEST_TIMEOUT = (5.0, 30.0)
"""Connect and read timeouts of one API call: a hung server delays one tick, never the rest."""
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class UnknownKindError(EffectsError):
    """The applier has no path for this apiVersion and kind (a bug, not a cluster problem)."""


@dataclass(frozen=True)
class ObjectRef:
    """Address of one object (``namespace`` is ignored for a cluster-scoped kind)."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> ObjectRef:
        meta = manifest.get("metadata") or {}
        return cls(
            str(manifest.get("apiVersion")),
            str(manifest.get("kind")),
            str(meta.get("namespace") or "default"),
            str(meta.get("name")),
        )

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def namespaced(self) -> bool:
        return self._resource()[1]

    def _resource(self) -> tuple[str, bool]:
        try:
            return _RESOURCES[(self.group, self.kind)]
        except KeyError:
            raise UnknownKindError(f"no API path for {self.api_version} {self.kind}") from None

    def collection(self) -> str:
        plural, namespaced = self._resource()
        prefix = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        scope = f"/namespaces/{self.namespace}" if namespaced else ""
        return f"{prefix}{scope}/{plural}"

    def path(self) -> str:
        return f"{self.collection()}/{self.name}"


@dataclass(frozen=True)
class Classified:
    """An API failure as the ledger records it."""

    conflict: bool
    retryable: bool
    detail: str


def classify(error: Exception) -> Classified:
    """Translate any failure of a request into conflict / retryable / permanent, with detail."""
    if isinstance(error, ApiException):
        status = int(error.status or 0)
        reason = error.reason or ""
        try:
            message = json.loads(error.body or "{}").get("message") or reason
        except (ValueError, AttributeError):
            message = str(error.body or reason)
        detail = f"{status} {message}"[:_DETAIL_LIMIT]
        if status == 409:
            return Classified(conflict=True, retryable=True, detail=detail)
        retryable = status == 0 or status in _RETRYABLE_STATUS  # 0: no answer at all
        return Classified(conflict=False, retryable=retryable, detail=detail)
    if isinstance(error, urllib3.exceptions.HTTPError | OSError):
        return Classified(conflict=False, retryable=True, detail=str(error)[:_DETAIL_LIMIT])
    return Classified(conflict=False, retryable=False, detail=repr(error)[:_DETAIL_LIMIT])


class KubeApi:
    """get / create / patch / delete of plain-dict objects over one official ``ApiClient``."""

    def __init__(self, api_client: kubernetes.client.ApiClient) -> None:
        self.api_client = api_client

    def _call(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> dict[str, Any]:
        method_, url, headers, payload, _ = self.api_client.param_serialize(
            method=method,
            resource_path=path,
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.api_client.call_api(
            method_, url, header_params=headers, body=payload, _request_timeout=REQUEST_TIMEOUT
        )
        data: Any = response.read()  # type: ignore[no-untyped-call]
        text = data.decode("utf-8") if isinstance(data, bytes) else str(data or "")
        if not 200 <= response.status < 300:
            raise ApiException.from_response(http_resp=response, body=text, data=None)
        result: dict[str, Any] = json.loads(text) if text else {}
        return result

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The live object, or ``None`` when it does not exist."""
        try:
            return self._call("GET", ref.path())
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def create(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        return self._call("POST", ObjectRef.of(manifest).collection(), dict(manifest))

    def patch(self, ref: ObjectRef, patch: Any, content_type: str = MERGE_PATCH) -> dict[str, Any]:
        return self._call("PATCH", ref.path(), patch, content_type)

    def patch_status(self, ref: ObjectRef, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Merge-patch the status subresource."""
        return self._call("PATCH", f"{ref.path()}/status", dict(patch), MERGE_PATCH)

    def delete(self, ref: ObjectRef, grace_period_seconds: int | None = None) -> bool:
        """Delete the object; ``False`` when it was already gone."""
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if grace_period_seconds is not None:
            body["gracePeriodSeconds"] = grace_period_seconds
        try:
            self._call("DELETE", ref.path(), body)
        except ApiException as e:
            if e.status == 404:
                return False
            raise
        return True
