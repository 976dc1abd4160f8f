"""The istio router: VirtualService and DestinationRule shapes per state (flagger-objects §3.1),
session affinity (§3.1.1), reading the split back, take-over and restore, and the API double."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effects.applying import Applier
from effects.kubeapi import KubeApi, ObjectRef
from effects.routing import Cookies, RouterConfigError, RouterInput, RouterSettings, Routes
from effects.routing.base import LAST_APPLIED, ORIGINAL_CONFIGURATION, RoutesError
from effects.routing.istio import API_VERSION, IstioRouter, merge_matches
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import canary, inp, validate_plan

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = IstioRouter()
OWNER = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "name": "podinfo",
    "uid": "c-uid-1",
    "controller": True,
    "blockOwnerDeletion": True,
}
CANARY_COOKIE = "flagger-cookie=abcdefghij"
PRIMARY_COOKIE = "primary-cookie=klmnopqrst"
PREVIOUS_COOKIE = "flagger-cookie=zyxwvutsrq"


def _input(model: Canary, live: Iterable[Mapping[str, Any]] = (), **kw: Any) -> RouterInput:
    return inp(model, "istio", live, **kw)


def _render(model: Canary, routes: Routes = Routes(), **kw: Any) -> dict[str, dict[str, Any]]:
    """The rendered objects by name, after checking each against its upstream schema."""
    plan = ROUTER.render(_input(model, **kw), routes)
    assert validate_plan(plan) == 3
    return {m["metadata"]["name"]: m for m in plan.manifests}


def _http(model: Canary, routes: Routes = Routes(), **kw: Any) -> list[dict[str, Any]]:
    http: list[dict[str, Any]] = _render(model, routes, **kw)["podinfo"]["spec"]["http"]
    return http


def _round_trip(model: Canary, routes: Routes, **kw: Any) -> Routes:
    live = kw.pop("live", ())
    plan = ROUTER.render(_input(model, live, **kw), routes)
    validate_plan(plan)
    return ROUTER.read_routes(_input(model, [*live, *plan.manifests], **kw))


def _dest(host: str, weight: object, **extra: Any) -> dict[str, Any]:
    return {"destination": {"host": host}, "weight": weight, **extra}


def _set_cookie(value: str) -> dict[str, Any]:
    return {"response": {"add": {"Set-Cookie": value}}}


def _cookie(value: str) -> dict[str, Any]:
    name, _, letters = value.partition("=")
    return {"headers": {"Cookie": {"regex": f".*{name}.*{letters}.*"}}}


AFFINITY = {"cookieName": "flagger-cookie", "maxAge": 3600}
STICKY_PRIMARY = {**AFFINITY, "primaryCookieName": "primary-cookie", "secure": True}


def _affinity(**analysis: Any) -> Canary:
    return canary(
        analysis={
            "interval": "2m",
            "threshold": 5,
            "stepWeight": 10,
            "sessionAffinity": AFFINITY,
            **analysis,
        }
    )


# ------------------------------------------------------------------ shapes


def test_initial_objects() -> None:
    objects = _render(canary())
    assert objects["podinfo-canary"] == {
        "apiVersion": API_VERSION,
        "kind": "DestinationRule",
        "metadata": {"name": "podinfo-canary", "namespace": "test", "ownerReferences": [OWNER]},
        "spec": {"host": "podinfo-canary"},
    }
    assert objects["podinfo-primary"]["spec"] == {"host": "podinfo-primary"}
    vs = objects["podinfo"]
    assert vs["metadata"] == {
        "name": "podinfo",
        "namespace": "test",
        "annotations": FLUX_OPT_OUT,
        "ownerReferences": [OWNER],
    }
    assert vs["spec"] == {
        "hosts": ["podinfo"],
        "gateways": ["mesh"],
        "http": [{"route": [_dest("podinfo-primary", 100), _dest("podinfo-canary", 0)]}],
    }


def test_weight_and_blue_green() -> None:
    assert _http(canary(), Routes(70, 30)) == [
        {"route": [_dest("podinfo-primary", 70), _dest("podinfo-canary", 30)]}
    ]
    assert _http(canary(), Routes(0, 100))[0]["route"][1]["weight"] == 100


def test_every_service_field_reaches_the_rules() -> None:
    service = {
        "port": 9898,
        "portDiscovery": True,
        "hosts": ["app.example.com"],
        "gateways": ["public-gateway.istio-system.svc.cluster.local", "mesh"],
        "match": [{"uri": {"prefix": "/api"}}],
        "rewrite": {"uri": "/", "authority": "internal", "type": "ReplacePrefixMatch"},
        "retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "5xx"},
        "timeout": "30s",
        "headers": {"request": {"add": {"x-envoy-upstream-rq-timeout-ms": "15000"}}},
        "corsPolicy": {"allowOrigins": [{"exact": "example.com"}], "maxAge": "24h"},
        "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
        "apex": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
    }
    objects = _render(canary(service=service), Routes(90, 10))
    for name in ("podinfo-canary", "podinfo-primary"):
        assert objects[name]["spec"]["trafficPolicy"] == {"tls": {"mode": "ISTIO_MUTUAL"}}
    vs = objects["podinfo"]
    assert vs["metadata"]["labels"] == {"team": "a"}
    assert vs["metadata"]["annotations"] == {"note": "x", **FLUX_OPT_OUT}
    port = {"number": 9898}
    assert vs["spec"] == {
        "hosts": ["app.example.com", "podinfo"],
        "gateways": ["public-gateway.istio-system.svc.cluster.local", "mesh"],
        "http": [
            {
                "match": [{"uri": {"prefix": "/api"}}],
                "rewrite": {"uri": "/", "authority": "internal"},
                "timeout": "30s",
                "retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "5xx"},
                "corsPolicy": {"allowOrigins": [{"exact": "example.com"}], "maxAge": "24h"},
                "headers": {"request": {"add": {"x-envoy-upstream-rq-timeout-ms": "15000"}}},
                "route": [
                    {"destination": {"host": "podinfo-primary", "port": port}, "weight": 90},
                    {"destination": {"host": "podinfo-canary", "port": port}, "weight": 10},
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (["podinfo", "a.example.com"], ["podinfo", "a.example.com"]),
        (["*"], ["*"]),
        (["a.example.com"], ["a.example.com", "podinfo"]),
    ],
)
def test_apex_host_appended_unless_listed(hosts: list[str], expected: list[str]) -> None:
    vs = _render(canary(service={"port": 9898, "hosts": hosts}))["podinfo"]
    assert vs["spec"]["hosts"] == expected


def test_port_only_outside_the_mesh_gateway() -> None:
    mesh = canary(service={"port": 9898, "portDiscovery": True, "gateways": ["mesh", "gw"]})
    assert _http(mesh)[0]["route"][0]["destination"] == {"host": "podinfo-primary"}
    no_discovery = canary(service={"port": 9898, "gateways": ["gw"]})
    assert _http(no_discovery)[0]["route"][0]["destination"] == {"host": "podinfo-primary"}


def test_delegation() -> None:
    model = canary(service={"port": 9898, "delegation": True, "portDiscovery": True})
    spec = _render(model, Routes(80, 20))["podinfo"]["spec"]
    assert spec["hosts"] == [] and "gateways" not in spec
    assert spec["http"][0]["route"][1] == {
        "destination": {"host": "podinfo-canary", "port": {"number": 9898}},
        "weight": 20,
    }
    assert _round_trip(model, Routes(80, 20)) == Routes(80, 20)


@pytest.mark.parametrize("field", [{"hosts": ["a.example.com"]}, {"gateways": ["gw"]}])
def test_delegation_refuses_hosts_and_gateways(field: dict[str, Any]) -> None:
    model = canary(service={"port": 9898, "delegation": True, **field})
    with pytest.raises(RouterConfigError, match=r"cannot have hosts and gateways.*delegation"):
        ROUTER.render(_input(model), Routes())


def test_tcp() -> None:
    service = {"port": 9898, "appProtocol": "TCP", "match": [{"port": 9898}, {"uri": "x"}]}
    model = canary(service=service)
    spec = _render(model, Routes(60, 40))["podinfo"]["spec"]
    assert "http" not in spec
    assert spec["tcp"] == [
        {
            "match": [{"port": 9898}, {}],
            "route": [_dest("podinfo-primary", 60), _dest("podinfo-canary", 40)],
        }
    ]
    assert _round_trip(model, Routes(60, 40)) == Routes(60, 40)
    with pytest.raises(RouterConfigError, match=r"spec\.analysis\.mirror.*TCP"):
        ROUTER.render(_input(model), Routes(100, 0, mirrored=True))


def test_tcp_ignores_ab_and_affinity_with_notes() -> None:
    analysis = {
        "interval": "1m",
        "threshold": 5,
        "iterations": 3,
        "match": [{"headers": {"x-user": {"exact": "test"}}}],
        "sessionAffinity": AFFINITY,
    }
    model = canary(service={"port": 9898, "appProtocol": "tcp"}, analysis=analysis)
    plan = ROUTER.render(_input(model, cookies=Cookies(canary=CANARY_COOKIE)), Routes(0, 100))
    validate_plan(plan)
    vs = plan.manifests[2]
    assert vs["spec"]["tcp"] == [
        {"route": [_dest("podinfo-primary", 0), _dest("podinfo-canary", 100)]}
    ]
    assert any("analysis.match" in n for n in plan.notes)
    assert any("sessionAffinity" in n for n in plan.notes)


AB = {
    "interval": "1m",
    "threshold": 5,
    "iterations": 10,
    "match": [
        {"headers": {"x-canary": {"exact": "insider"}}},
        {"queryParams": {"beta": {"exact": "1"}}},
    ],
}


def test_ab_without_service_match() -> None:
    model = canary(analysis=AB)
    assert _http(model, Routes(0, 100)) == [
        {
            "match": [
                {"headers": {"x-canary": {"exact": "insider"}}},
                {"queryParams": {"beta": {"exact": "1"}}},
            ],
            "route": [_dest("podinfo-primary", 0), _dest("podinfo-canary", 100)],
        },
        {"route": [_dest("podinfo-primary", 0)]},
    ]
    for routes in (Routes(0, 100), Routes(100, 0), Routes(100, 0, mirrored=True)):
        assert _round_trip(model, routes) == routes


def test_ab_crosses_service_match() -> None:
    service = {
        "port": 9898,
        "timeout": "5s",
        "match": [{"uri": {"prefix": "/a"}}, {"uri": {"prefix": "/b"}, "headers": {"h": {}}}],
    }
    http = _http(canary(service=service, analysis=AB), Routes(100, 0))
    insider = {"x-canary": {"exact": "insider"}}
    assert http[0]["match"] == [
        {"uri": {"prefix": "/a"}, "headers": insider},
        {"uri": {"prefix": "/b"}, "headers": insider},
        {"uri": {"prefix": "/a"}, "queryParams": {"beta": {"exact": "1"}}},
        {"uri": {"prefix": "/b"}, "headers": {"h": {}}, "queryParams": {"beta": {"exact": "1"}}},
    ]
    assert http[0]["timeout"] == http[1]["timeout"] == "5s"
    assert http[1] == {
        "match": service["match"],
        "timeout": "5s",
        "route": [_dest("podinfo-primary", 100)],
    }


def test_merge_matches_replaces_source_labels() -> None:
    base = [{"sourceLabels": {"app": "a"}, "port": 80}]
    merged = merge_matches([{"sourceLabels": {"app": "b"}}], base)
    assert merged == [{"sourceLabels": {"app": "b"}, "port": 80}]
    assert base == [{"sourceLabels": {"app": "a"}, "port": 80}]


def test_mirror() -> None:
    model = canary(
        analysis={
            "interval": "1m",
            "threshold": 5,
            "stepWeight": 10,
            "mirror": True,
            "mirrorWeight": 25,
        }
    )
    assert _http(model, Routes(100, 0, mirrored=True)) == [
        {
            "route": [_dest("podinfo-primary", 100), _dest("podinfo-canary", 0)],
            "mirror": {"host": "podinfo-canary"},
            "mirrorPercentage": {"value": 25},
        }
    ]
    assert _round_trip(model, Routes(100, 0, mirrored=True)) == Routes(100, 0, mirrored=True)
    assert "mirror" not in _http(model, Routes(90, 10))[0]
    no_percentage = canary(analysis={**AB, "iterations": 2, "match": None, "mirror": True})
    assert "mirrorPercentage" not in _http(no_percentage, Routes(100, 0, mirrored=True))[0]


def test_promoted() -> None:
    assert _round_trip(canary(), Routes(100, 0)) == Routes(100, 0)
    assert _http(canary(), Routes(100, 0)) == _http(canary())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 100))
def test_weights_round_trip(weight: int) -> None:
    routes = Routes(100 - weight, weight)
    assert _round_trip(canary(), routes) == routes
    affinity = _affinity(sessionAffinity=STICKY_PRIMARY)
    cookies = Cookies(CANARY_COOKIE, PRIMARY_COOKIE, PREVIOUS_COOKIE)
    assert _round_trip(affinity, routes, cookies=cookies) == routes


def test_impossible_split_is_refused() -> None:
    with pytest.raises(RouterConfigError, match="add up to 100"):
        ROUTER.render(_input(canary()), Routes(50, 60))


def test_no_owner_references_when_the_mesh_is_elsewhere() -> None:
    plan = ROUTER.render(_input(canary(), settings=RouterSettings(set_owner_refs=False)), Routes())
    assert all("ownerReferences" not in m["metadata"] for m in plan.manifests)


# ------------------------------------------------------------------ session affinity


def test_affinity_sticky_canary() -> None:
    model = _affinity()
    http = _http(model, Routes(80, 20), cookies=Cookies(canary=CANARY_COOKIE))
    cookie = f"{CANARY_COOKIE}; Max-Age=3600"
    assert http == [
        {
            "match": [_cookie(CANARY_COOKIE)],
            "route": [_dest("podinfo-primary", 0), _dest("podinfo-canary", 100)],
        },
        {
            "route": [
                _dest("podinfo-primary", 80),
                _dest("podinfo-canary", 20, headers=_set_cookie(cookie)),
            ]
        },
    ]


def test_affinity_sticky_primary_with_service_match() -> None:
    model = canary(
        service={"port": 9898, "match": [{"uri": {"prefix": "/"}}], "headers": {"request": {}}},
        analysis={
            "interval": "2m",
            "threshold": 5,
            "stepWeight": 10,
            "sessionAffinity": {**STICKY_PRIMARY, "path": "/", "sameSite": "Strict"},
        },
    )
    cookies = Cookies(canary=CANARY_COOKIE, primary=PRIMARY_COOKIE)
    http = _http(model, Routes(90, 10), cookies=cookies)
    uri = {"uri": {"prefix": "/"}}
    assert [rule["match"] for rule in http] == [
        [{**uri, **_cookie(CANARY_COOKIE)}],
        [{**uri, **_cookie(PRIMARY_COOKIE)}],
        [uri],
    ]
    assert [[d["weight"] for d in rule["route"]] for rule in http] == [[0, 100], [100, 0], [90, 10]]
    assert all(rule["headers"] == {"request": {}} for rule in http)
    primary, canary_dest = http[2]["route"]
    attributes = "Path=/; SameSite=Strict; Secure"
    assert primary["headers"] == _set_cookie(f"{PRIMARY_COOKIE}; Max-Age=120; {attributes}")
    assert canary_dest["headers"] == _set_cookie(f"{CANARY_COOKIE}; Max-Age=3600; {attributes}")


def test_affinity_without_cookies_is_not_sticky_and_says_so() -> None:
    model = _affinity(sessionAffinity=STICKY_PRIMARY)
    plan = ROUTER.render(_input(model), Routes(80, 20))
    validate_plan(plan)
    assert plan.manifests[2]["spec"]["http"] == _http(canary(), Routes(80, 20))
    assert any("no canary cookie" in note for note in plan.notes)
    only_canary = Cookies(canary=CANARY_COOKIE)
    plan = ROUTER.render(_input(model, cookies=only_canary), Routes(80, 20))
    validate_plan(plan)
    http = plan.manifests[2]["spec"]["http"]
    assert len(http) == 2 and "headers" not in http[1]["route"][0]
    assert any("no primary cookie" in note for note in plan.notes)
    assert ROUTER.read_routes(_input(model, plan.manifests)) == Routes(80, 20)


def test_affinity_expires_previous_cookie_without_leaking_onto_the_weighted_rule() -> None:
    service = {"port": 9898, "headers": {"response": {"add": {"x-served-by": "istio"}}}}
    model = canary(service=service, analysis=_affinity().spec.analysis.to_document())
    cookies = Cookies(previous=PREVIOUS_COOKIE)
    http = _http(model, Routes(100, 0), cookies=cookies)
    weighted = {
        "headers": {"response": {"add": {"x-served-by": "istio"}}},
        "route": [_dest("podinfo-primary", 100), _dest("podinfo-canary", 0)],
    }
    expire = {
        **weighted,
        "match": [_cookie(PREVIOUS_COOKIE)],
        "headers": {
            "response": {
                "add": {"x-served-by": "istio", "Set-Cookie": f"{PREVIOUS_COOKIE}; Max-Age=-1"}
            }
        },
    }
    assert http == [expire, weighted]
    assert _round_trip(model, Routes(100, 0), cookies=cookies) == Routes(100, 0)


def test_affinity_at_zero_expires_a_cookie_not_yet_retired() -> None:
    cookies = Cookies(canary=CANARY_COOKIE, previous=PREVIOUS_COOKIE)
    http = _http(_affinity(), Routes(100, 0), cookies=cookies)
    assert http[0]["match"] == [_cookie(CANARY_COOKIE)]
    assert http[0]["headers"] == _set_cookie(f"{CANARY_COOKIE}; Max-Age=-1")


def test_affinity_at_zero_without_any_cookie_is_one_rule() -> None:
    assert _http(_affinity(), Routes(100, 0)) == _http(canary(), Routes(100, 0))


def test_affinity_mirror_on_every_weighted_rule() -> None:
    model = _affinity(mirror=True)
    routes = Routes(100, 0, mirrored=True)
    http = _http(model, routes, cookies=Cookies(previous=PREVIOUS_COOKIE))
    assert [rule["mirror"] for rule in http] == [{"host": "podinfo-canary"}] * 2
    assert _round_trip(model, routes, cookies=Cookies(previous=PREVIOUS_COOKIE)) == routes


def test_ab_overrides_affinity() -> None:
    model = canary(analysis={**AB, "sessionAffinity": AFFINITY})
    plan = ROUTER.render(_input(model, cookies=Cookies(canary=CANARY_COOKIE)), Routes(0, 100))
    validate_plan(plan)
    assert plan.manifests[2]["spec"]["http"] == _http(canary(analysis=AB), Routes(0, 100))
    assert any("A/B" in note for note in plan.notes)


# ------------------------------------------------------------------ reading


def _vs(spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "VirtualService",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": spec,
    }


def test_read_takes_the_last_rule_routing_to_the_canary() -> None:
    spec = {
        "http": [
            {"route": [_dest("podinfo-primary", 30), _dest("podinfo-canary", 70)]},
            {"route": [_dest("podinfo-primary", 60), _dest("podinfo-canary", 40)]},
            {"route": [_dest("other", 100)]},
        ]
    }
    assert ROUTER.read_routes(_input(canary(), [_vs(spec)])) == Routes(60, 40)


def test_read_with_affinity_takes_the_rule_setting_cookies() -> None:
    cookie = _set_cookie("c=v")
    spec = {
        "http": [
            {"route": [_dest("podinfo-primary", 70), _dest("podinfo-canary", 30, headers=cookie)]},
            {"route": [_dest("podinfo-primary", 0), _dest("podinfo-canary", 100)]},
        ]
    }
    assert ROUTER.read_routes(_input(_affinity(), [_vs(spec)])) == Routes(70, 30)
    assert ROUTER.read_routes(_input(canary(), [_vs(spec)])) == Routes(0, 100)


@pytest.mark.parametrize(
    ("live", "message"),
    [
        ([], "VirtualService podinfo.test not found"),
        ([_vs(None)], "has no spec"),
        ([_vs({"http": {"route": []}})], "not a list of rules"),
        ([_vs({"http": [{"route": [_dest("podinfo-primary", 100)]}]})], "does not contain"),
        ([_vs({"http": [{"route": [_dest("podinfo-canary", 0)]}]})], "does not contain"),
        ([_vs({"http": [{"route": [_dest("podinfo-canary", "x")]}]})], "not an integer"),
    ],
)
def test_read_errors(live: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RoutesError, match=message):
        ROUTER.read_routes(_input(canary(), live))


def test_read_tcp_never_mirrored() -> None:
    model = canary(service={"port": 9898, "appProtocol": "tcp"})
    route = [_dest("podinfo-primary", 100), _dest("podinfo-canary", 0)]
    spec = {"tcp": [{"route": route}], "http": [{"route": route, "mirror": {"host": "x"}}]}
    assert ROUTER.read_routes(_input(model, [_vs(spec)])) == Routes(100, 0)


# ------------------------------------------------------------------ take-over and finalize


FOREIGN_SPEC = {"hosts": ["podinfo"], "http": [{"route": [{"destination": {"host": "podinfo"}}]}]}


def test_take_over_and_restore() -> None:
    foreign = {**_vs(FOREIGN_SPEC), "metadata": {"name": "podinfo", "namespace": "test"}}
    plan = ROUTER.render(_input(canary(), [foreign]), Routes(90, 10))
    validate_plan(plan)
    vs = plan.manifests[2]
    assert "ownerReferences" not in vs["metadata"]
    assert json.loads(vs["metadata"]["annotations"][ORIGINAL_CONFIGURATION]) == {
        "spec": FOREIGN_SPEC
    }
    assert plan.apply[2].policy.replace == ("spec",)
    assert plan.manifests[0]["metadata"]["ownerReferences"] == [OWNER]

    done = ROUTER.finalize(_input(canary(), plan.manifests))
    assert [m["spec"] for m in done.manifests] == [FOREIGN_SPEC]
    assert done.apply[0].policy.replace == ("spec",)
    assert any("restored" in note for note in done.notes)


def test_take_over_prefers_kubectl_last_applied() -> None:
    applied = json.dumps({"metadata": {"name": "podinfo"}, "spec": FOREIGN_SPEC})
    foreign = _vs({"hosts": ["changed"]})
    foreign["metadata"] = {
        "name": "podinfo",
        "namespace": "test",
        "annotations": {LAST_APPLIED: applied},
    }
    plan = ROUTER.render(_input(canary(), [foreign]), Routes())
    annotations = plan.manifests[2]["metadata"]["annotations"]
    assert annotations[LAST_APPLIED] == applied and ORIGINAL_CONFIGURATION not in annotations
    done = ROUTER.finalize(_input(canary(), plan.manifests))
    assert [m["spec"] for m in done.manifests] == [FOREIGN_SPEC]


def test_finalize_leaves_own_objects_to_garbage_collection() -> None:
    plan = ROUTER.render(_input(canary()), Routes(50, 50))
    assert ROUTER.finalize(_input(canary(), plan.manifests)).apply == ()
    missing = ROUTER.finalize(_input(canary()))
    assert missing.apply == () and any("not found" in n for n in missing.notes)


def test_reads() -> None:
    assert ROUTER.reads(_input(canary())) == [
        ObjectRef(API_VERSION, "VirtualService", "test", "podinfo"),
        ObjectRef(API_VERSION, "DestinationRule", "test", "podinfo-canary"),
        ObjectRef(API_VERSION, "DestinationRule", "test", "podinfo-primary"),
    ]


# ------------------------------------------------------------------ against the API double


def test_apply_against_the_api_double(apiserver: ApiServerHandle) -> None:
    client = apiserver.api_client()
    applier, api = Applier(client), KubeApi(client)
    model = _affinity(mirror=True)
    first = _input(model, cookies=Cookies(canary=CANARY_COOKIE))

    def apply(routes: Routes) -> list[EffectResult]:
        plan = ROUTER.render(first, routes)
        outcomes = [applier.apply(d.manifest, at=AT, policy=d.policy) for d in plan.apply]
        return [outcome.result for outcome in outcomes]

    def read() -> Routes:
        live = [api.get(ref) for ref in ROUTER.reads(first)]
        return ROUTER.read_routes(_input(model, [obj for obj in live if obj is not None]))

    applied, unchanged = EffectResult.APPLIED, EffectResult.UNCHANGED
    assert apply(Routes(100, 0, mirrored=True)) == [applied] * 3
    assert apply(Routes(100, 0, mirrored=True)) == [unchanged] * 3
    assert read() == Routes(100, 0, mirrored=True)
    assert apply(Routes(70, 30)) == [unchanged, unchanged, applied]
    assert read() == Routes(70, 30)
    vs = api.get(ROUTER.reads(first)[0])
    assert vs is not None
    rules = vs["spec"]["http"]
    assert len(rules) == 2 and all("mirror" not in rule for rule in rules)
    assert rules[1]["route"][1]["headers"] == _set_cookie(f"{CANARY_COOKIE}; Max-Age=3600")
    assert apply(Routes(100, 0)) == [unchanged, unchanged, applied]
    assert read() == Routes(100, 0)
