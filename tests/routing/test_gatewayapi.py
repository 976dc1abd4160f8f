"""The Gateway API routers: HTTPRoute shapes per state for v1 and v1beta1 (flagger-objects §3.11,
§3.12), session affinity (§3.1.1 with filters), reading the split back (with v1's parent
readiness), take-over and restore, and the API double."""

from __future__ import annotations

import copy
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
from effects.routing.base import ORIGINAL_CONFIGURATION, RoutesError
from effects.routing.gatewayapi import V1, V1BETA1, GatewayApiRouter
from effects.routing.gatewayfields import route_matches
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import assert_crd_valid, canary, inp, validate_plan

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTERS = {"gatewayapi:v1": GatewayApiRouter(V1), "gatewayapi:v1beta1": GatewayApiRouter(V1BETA1)}
BOTH = pytest.mark.parametrize("provider", list(ROUTERS))
OWNER = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "name": "podinfo",
    "uid": "c-uid-1",
    "controller": True,
    "blockOwnerDeletion": True,
}
GATEWAY = {"name": "public", "namespace": "gateways"}
PARENT = {"group": "gateway.networking.k8s.io", "kind": "Gateway", **GATEWAY}
DEFAULT_MATCH = [{"path": {"type": "PathPrefix", "value": "/"}}]
CANARY_COOKIE = "flagger-cookie=abcdefghij"
PRIMARY_COOKIE = "primary-cookie=klmnopqrst"
PREVIOUS_COOKIE = "flagger-cookie=zyxwvutsrq"
AFFINITY = {"cookieName": "flagger-cookie", "maxAge": 3600}
STICKY_PRIMARY = {**AFFINITY, "primaryCookieName": "primary-cookie", "secure": True}


def _model(service: Mapping[str, Any] | None = None, **analysis: Any) -> Canary:
    """Canary ``podinfo`` attached to Gateway ``gateways/public``; ``analysis`` overrides."""
    svc = {"port": 9898, "gatewayRefs": [GATEWAY], **(service or {})}
    base: dict[str, Any] = {"interval": "2m", "threshold": 5, "stepWeight": 10}
    if "iterations" in analysis:
        base.pop("stepWeight")
    return canary(service=svc, analysis={**base, **analysis})


def _input(
    provider: str, model: Canary, live: Iterable[Mapping[str, Any]] = (), **kw: Any
) -> RouterInput:
    return inp(model, provider, live, **kw)


def _render(provider: str, model: Canary, routes: Routes = Routes(), **kw: Any) -> dict[str, Any]:
    """The one rendered HTTPRoute, after checking it against its upstream schema."""
    plan = ROUTERS[provider].render(_input(provider, model, **kw), routes)
    assert validate_plan(plan) == 1
    assert [d.policy.replace for d in plan.apply] == [("spec",)]
    manifest: dict[str, Any] = plan.manifests[0]
    return manifest


def _rules(provider: str, model: Canary, routes: Routes = Routes(), **kw: Any) -> list[Any]:
    rules: list[Any] = _render(provider, model, routes, **kw)["spec"]["rules"]
    return rules


def _accepted(obj: Mapping[str, Any], generation: int = 1) -> dict[str, Any]:
    """``obj`` as the cluster reports it once every parent accepted this generation."""
    live = copy.deepcopy(dict(obj))
    live["metadata"]["generation"] = generation
    live["status"] = {
        "parents": [_parent_status(ref, generation) for ref in obj["spec"]["parentRefs"]]
    }
    return live


def _parent_status(ref: Mapping[str, Any], observed: int, status: str = "True") -> dict[str, Any]:
    condition = {"type": "Accepted", "status": status, "observedGeneration": observed}
    return {"parentRef": dict(ref), "controllerName": "example.com/gw", "conditions": [condition]}


def _round_trip(provider: str, model: Canary, routes: Routes, **kw: Any) -> Routes:
    router = ROUTERS[provider]
    live = kw.pop("live", ())
    plan = router.render(_input(provider, model, live, **kw), routes)
    validate_plan(plan)
    objects = [*live, *(_accepted(m) for m in plan.manifests)]
    return router.read_routes(_input(provider, model, objects, **kw))


def _backend(name: str, weight: object, **extra: Any) -> dict[str, Any]:
    return {"group": "", "kind": "Service", "name": name, "port": 9898, "weight": weight, **extra}


def _split(primary: int, canary: int) -> list[dict[str, Any]]:
    return [_backend("podinfo-primary", primary), _backend("podinfo-canary", canary)]


def _set_cookie(value: str) -> dict[str, Any]:
    add = [{"name": "Set-Cookie", "value": value}]
    return {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": add}}


def _cookie(value: str, path: Mapping[str, Any] | None = None) -> dict[str, Any]:
    name, _, letters = value.partition("=")
    header = {"name": "Cookie", "type": "RegularExpression", "value": f".*{name}.*{letters}.*"}
    return {"path": dict(path or DEFAULT_MATCH[0]["path"]), "headers": [header]}


MIRROR_FILTER: dict[str, Any] = {
    "type": "RequestMirror",
    "requestMirror": {
        "backendRef": {"group": "", "kind": "Service", "name": "podinfo-canary", "port": 9898}
    },
}


# ------------------------------------------------------------------ shapes


@BOTH
def test_initial_route(provider: str) -> None:
    route = _render(provider, _model())
    assert route == {
        "apiVersion": ROUTERS[provider].api_version,
        "kind": "HTTPRoute",
        "metadata": {
            "name": "podinfo",
            "namespace": "test",
            "annotations": FLUX_OPT_OUT,
            "ownerReferences": [OWNER],
        },
        "spec": {
            "parentRefs": [PARENT],
            "rules": [{"matches": DEFAULT_MATCH, "backendRefs": _split(100, 0)}],
        },
    }


@BOTH
def test_weight_blue_green_and_promoted(provider: str) -> None:
    assert _rules(provider, _model(), Routes(70, 30))[0]["backendRefs"] == _split(70, 30)
    assert _rules(provider, _model(iterations=5), Routes(0, 100))[0]["backendRefs"] == _split(
        0, 100
    )
    assert _rules(provider, _model(), Routes(100, 0)) == [
        {"matches": DEFAULT_MATCH, "backendRefs": _split(100, 0)}
    ]


SERVICE = {
    "hosts": ["app.example.com"],
    "gatewayRefs": [
        {"name": "public", "namespace": "gateways", "sectionName": "https", "port": 443},
        {"group": "core", "kind": "Service", "name": "podinfo", "port": 9898},
    ],
    "match": [
        {"uri": {"prefix": "/api"}, "method": {"exact": "GET"}},
        {
            "uri": {"regex": "/v[0-9]+/.*"},
            "headers": {"x-b": {"regex": "b.*"}, "x-a": {"exact": "1"}},
        },
        {"queryParams": {"debug": {"exact": "on"}}},
        {"name": "only-a-label"},
    ],
    "headers": {
        "request": {"set": {"x-z": "1", "x-a": "2"}, "add": {"x-b": "3"}, "remove": ["x-old"]},
        "response": {"add": {"x-served-by": "podinfo"}},
    },
    "rewrite": {"uri": "/", "authority": "internal.example.com"},
    "mirror": [{"backendRef": {"name": "shadow", "port": 8080}}],
    "timeout": "30s",
    "backendTimeout": "10s",
    "corsPolicy": {
        "allowOrigins": [{"exact": "https://example.com"}, {"prefix": "https://x"}],
        "allowOrigin": ["https://other.example.com"],
        "allowMethods": ["GET", "POST"],
        "allowHeaders": ["x-a"],
        "exposeHeaders": ["x-b"],
        "allowCredentials": True,
        "maxAge": "24h",
    },
    "apex": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
}
MATCHES = [
    {"path": {"type": "PathPrefix", "value": "/api"}, "method": "GET"},
    {
        "path": {"type": "RegularExpression", "value": "/v[0-9]+/.*"},
        "headers": [
            {"name": "x-a", "type": "Exact", "value": "1"},
            {"name": "x-b", "type": "RegularExpression", "value": "b.*"},
        ],
    },
    {"queryParams": [{"name": "debug", "type": "Exact", "value": "on"}], **DEFAULT_MATCH[0]},
]
COMMON_FILTERS = [
    {
        "type": "RequestHeaderModifier",
        "requestHeaderModifier": {
            "add": [{"name": "x-b", "value": "3"}],
            "set": [{"name": "x-a", "value": "2"}, {"name": "x-z", "value": "1"}],
            "remove": ["x-old"],
        },
    },
    {
        "type": "ResponseHeaderModifier",
        "responseHeaderModifier": {"add": [{"name": "x-served-by", "value": "podinfo"}]},
    },
    {
        "type": "URLRewrite",
        "urlRewrite": {
            "hostname": "internal.example.com",
            "path": {"type": "ReplaceFullPath", "replaceFullPath": "/"},
        },
    },
    {
        "type": "RequestMirror",
        "requestMirror": {
            "backendRef": {"group": "", "kind": "Service", "name": "shadow", "port": 8080}
        },
    },
]
CORS = {
    "type": "CORS",
    "cors": {
        "allowOrigins": ["https://other.example.com", "https://example.com"],
        "allowMethods": ["GET", "POST"],
        "allowHeaders": ["x-a"],
        "exposeHeaders": ["x-b"],
        "allowCredentials": True,
        "maxAge": 86400,
    },
}


def test_every_service_field_reaches_the_v1_route() -> None:
    plan = ROUTERS["gatewayapi:v1"].render(_input("gatewayapi:v1", _model(SERVICE)), Routes(90, 10))
    validate_plan(plan)
    route = plan.manifests[0]
    assert route["metadata"]["labels"] == {"team": "a"}
    assert route["metadata"]["annotations"] == {"note": "x", **FLUX_OPT_OUT}
    assert route["spec"] == {
        "parentRefs": [
            {**PARENT, "sectionName": "https", "port": 443},
            {"group": "core", "kind": "Service", "name": "podinfo", "port": 9898},
        ],
        "hostnames": ["app.example.com"],
        "rules": [
            {
                "matches": MATCHES,
                "filters": [*COMMON_FILTERS, CORS],
                "backendRefs": _split(90, 10),
                "timeouts": {"request": "30s", "backendRequest": "10s"},
            }
        ],
    }
    assert any("only exact applies" in note for note in plan.notes)


def test_v1beta1_sets_no_timeouts_and_no_cors_and_says_so() -> None:
    plan = ROUTERS["gatewayapi:v1beta1"].render(
        _input("gatewayapi:v1beta1", _model(SERVICE)), Routes(90, 10)
    )
    validate_plan(plan)
    assert plan.manifests[0]["spec"]["rules"] == [
        {"matches": MATCHES, "filters": COMMON_FILTERS, "backendRefs": _split(90, 10)}
    ]
    assert any("timeout" in note for note in plan.notes)
    assert any("corsPolicy" in note for note in plan.notes)


def test_rewrite_prefix_and_cors_default_max_age() -> None:
    service = {
        "match": [{"uri": {"prefix": "/api"}}],
        "rewrite": {"uri": "/", "type": "ReplacePrefixMatch"},
        "corsPolicy": {"allowOrigin": ["*"]},
    }
    filters = _rules("gatewayapi:v1", _model(service))[0]["filters"]
    assert filters == [
        {
            "type": "URLRewrite",
            "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
        },
        {"type": "CORS", "cors": {"allowOrigins": ["*"], "maxAge": 5}},
    ]


@pytest.mark.parametrize(
    ("match", "message"),
    [
        ({"uri": {"suffix": "/x"}}, "spec.service.match[0].uri: the Gateway API matches only"),
        ({"method": {"regex": "GET|POST"}}, "spec.service.match[0].method"),
        ({"headers": {"x": {"prefix": "a"}}}, "spec.service.match[0].headers.x"),
        ({"queryParams": {"q": {}}}, "spec.service.match[0].queryParams.q"),
        ({"sourceLabels": {"app": "x"}}, "spec.service.match[0].sourceLabels: the Gateway API"),
        ({"port": 8080}, "spec.service.match[0].port"),
    ],
)
def test_unsupported_service_matches_are_refused(match: dict[str, Any], message: str) -> None:
    with pytest.raises(RouterConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ROUTERS["gatewayapi:v1"].render(
            _input("gatewayapi:v1", _model({"match": [match]})), Routes()
        )


def test_ab_condition_the_gateway_cannot_express_is_refused() -> None:
    model = _model(iterations=5, match=[{"sourceLabels": {"app": "frontend"}}])
    with pytest.raises(RouterConfigError, match=r"spec\.analysis\.match\[0\]\.sourceLabels"):
        ROUTERS["gatewayapi:v1"].render(_input("gatewayapi:v1", model), Routes(0, 100))


def test_route_matches_drop_empty_conditions() -> None:
    assert route_matches([{}, {"name": "x"}], "m") == []


def test_missing_gateway_refs() -> None:
    model = canary(service={"port": 9898})
    for provider, router in ROUTERS.items():
        with pytest.raises(RouterConfigError, match=r"spec\.service\.gatewayRefs"):
            router.render(_input(provider, model), Routes())


@BOTH
def test_ab_without_service_match(provider: str) -> None:
    ab = [{"headers": {"x-canary": {"exact": "insider"}}, "queryParams": {"q": {"regex": "a+"}}}]
    rules = _rules(provider, _model(iterations=10, match=ab), Routes(0, 100))
    condition = {
        **DEFAULT_MATCH[0],
        "headers": [{"name": "x-canary", "type": "Exact", "value": "insider"}],
        "queryParams": [{"name": "q", "type": "RegularExpression", "value": "a+"}],
    }
    assert rules == [
        {"matches": [condition], "backendRefs": _split(0, 100)},
        {"matches": DEFAULT_MATCH, "backendRefs": [_backend("podinfo-primary", 100)]},
    ]


def test_ab_crosses_service_match_and_keeps_filters_and_timeouts() -> None:
    service = {
        "match": [
            {"uri": {"prefix": "/api"}, "headers": {"x-old": {"exact": "1"}}},
            {"uri": {"exact": "/"}},
        ],
        "timeout": "5s",
        "headers": {"request": {"add": {"x-a": "1"}}},
    }
    ab = [{"headers": {"x-canary": {"exact": "insider"}}}, {"headers": {"user": {"regex": "^b"}}}]
    rules = _rules("gatewayapi:v1", _model(service, iterations=10, match=ab), Routes(0, 100))
    insider = [{"name": "x-canary", "type": "Exact", "value": "insider"}]
    b_user = [{"name": "user", "type": "RegularExpression", "value": "^b"}]
    api = {"type": "PathPrefix", "value": "/api"}
    root = {"type": "Exact", "value": "/"}
    assert rules[0]["matches"] == [
        {"path": api, "headers": insider},
        {"path": root, "headers": insider},
        {"path": api, "headers": b_user},
        {"path": root, "headers": b_user},
    ]
    assert rules[0]["backendRefs"] == _split(0, 100)
    assert rules[1]["matches"] == [
        {"path": api, "headers": [{"name": "x-old", "type": "Exact", "value": "1"}]},
        {"path": root},
    ]
    assert rules[1]["backendRefs"] == [_backend("podinfo-primary", 100)]
    for rule in rules:
        assert rule["timeouts"] == {"request": "5s"}
        assert rule["filters"][0]["type"] == "RequestHeaderModifier"


@BOTH
def test_ab_promoted(provider: str) -> None:
    ab = [{"headers": {"x-canary": {"exact": "insider"}}}]
    rules = _rules(provider, _model(iterations=10, match=ab), Routes(100, 0))
    assert [r["backendRefs"] for r in rules] == [_split(100, 0), [_backend("podinfo-primary", 100)]]


@BOTH
@pytest.mark.parametrize("iterations", [None, 10])
def test_mirror(provider: str, iterations: int | None) -> None:
    analysis: dict[str, Any] = {"mirror": True}
    if iterations:
        analysis["iterations"] = iterations
    model = _model({"headers": {"request": {"add": {"x-a": "1"}}}}, **analysis)
    rules = _rules(provider, model, Routes(100, 0, mirrored=True))
    assert len(rules) == 1
    assert [f["type"] for f in rules[0]["filters"]] == ["RequestHeaderModifier", "RequestMirror"]
    assert rules[0]["filters"][1] == MIRROR_FILTER
    assert _round_trip(provider, model, Routes(100, 0, mirrored=True)) == Routes(100, 0, True)
    # any split without the flag drops the mirror again
    assert _rules(provider, model, Routes(0, 100))[0]["filters"] == rules[0]["filters"][:1]


@BOTH
@settings(max_examples=25, deadline=None)
@given(weight=st.integers(0, 100))
def test_weights_round_trip(provider: str, weight: int) -> None:
    routes = Routes(100 - weight, weight)
    assert (
        _round_trip(provider, _model(SERVICE if provider == "gatewayapi:v1" else {}), routes)
        == routes
    )


@BOTH
def test_ab_round_trip(provider: str) -> None:
    model = _model(iterations=10, match=[{"headers": {"x-canary": {"exact": "insider"}}}])
    assert _round_trip(provider, model, Routes(0, 100)) == Routes(0, 100)
    assert _round_trip(provider, model, Routes(100, 0)) == Routes(100, 0)


def test_impossible_split_is_refused() -> None:
    with pytest.raises(RouterConfigError, match="add up to 100"):
        ROUTERS["gatewayapi:v1"].render(_input("gatewayapi:v1", _model()), Routes(50, 40))


def test_no_owner_references_when_the_mesh_is_elsewhere() -> None:
    settings_ = RouterSettings(set_owner_refs=False)
    route = _render("gatewayapi:v1", _model(), settings=settings_)
    assert "ownerReferences" not in route["metadata"]


# ------------------------------------------------------------------ session affinity


@BOTH
def test_affinity_sticky_canary(provider: str) -> None:
    model = _model(sessionAffinity=AFFINITY)
    rules = _rules(provider, model, Routes(80, 20), cookies=Cookies(canary=CANARY_COOKIE))
    assert rules == [
        {"matches": [_cookie(CANARY_COOKIE)], "backendRefs": _split(0, 100)},
        {
            "matches": DEFAULT_MATCH,
            "backendRefs": [
                _backend("podinfo-primary", 80),
                _backend(
                    "podinfo-canary", 20, filters=[_set_cookie(f"{CANARY_COOKIE}; Max-Age=3600")]
                ),
            ],
        },
    ]
    assert _round_trip(
        provider, model, Routes(80, 20), cookies=Cookies(canary=CANARY_COOKIE)
    ) == Routes(80, 20)


def test_affinity_sticky_primary_with_service_match_v1() -> None:
    service = {"match": [{"uri": {"prefix": "/api"}}], "timeout": "3s"}
    model = _model(service, sessionAffinity=STICKY_PRIMARY)
    cookies = Cookies(canary=CANARY_COOKIE, primary=PRIMARY_COOKIE)
    rules = _rules("gatewayapi:v1", model, Routes(60, 40), cookies=cookies)
    api = {"type": "PathPrefix", "value": "/api"}
    timeouts = {"request": "3s"}
    assert rules == [
        {
            "matches": [_cookie(CANARY_COOKIE, api)],
            "backendRefs": _split(0, 100),
            "timeouts": timeouts,
        },
        {
            "matches": [_cookie(PRIMARY_COOKIE, api)],
            "backendRefs": _split(100, 0),
            "timeouts": timeouts,
        },
        {
            "matches": [{"path": api}],
            "backendRefs": [
                _backend(
                    "podinfo-primary",
                    60,
                    filters=[_set_cookie(f"{PRIMARY_COOKIE}; Max-Age=120; Secure")],
                ),
                _backend(
                    "podinfo-canary",
                    40,
                    filters=[_set_cookie(f"{CANARY_COOKIE}; Max-Age=3600; Secure")],
                ),
            ],
            "timeouts": timeouts,
        },
    ]
    assert _round_trip("gatewayapi:v1", model, Routes(60, 40), cookies=cookies) == Routes(60, 40)


def test_affinity_v1beta1_keeps_only_the_canary_cookie() -> None:
    model = _model(sessionAffinity=STICKY_PRIMARY)
    cookies = Cookies(canary=CANARY_COOKIE, primary=PRIMARY_COOKIE)
    router = ROUTERS["gatewayapi:v1beta1"]
    plan = router.render(_input("gatewayapi:v1beta1", model, cookies=cookies), Routes(60, 40))
    validate_plan(plan)
    rules = plan.manifests[0]["spec"]["rules"]
    assert len(rules) == 2
    assert "filters" not in rules[1]["backendRefs"][0]
    assert rules[1]["backendRefs"][1]["filters"] == [
        _set_cookie(f"{CANARY_COOKIE}; Max-Age=3600; Secure")
    ]
    assert any("primaryCookieName ignored" in note for note in plan.notes)


@BOTH
def test_affinity_without_cookies_is_not_sticky_and_says_so(provider: str) -> None:
    router = ROUTERS[provider]
    plan = router.render(_input(provider, _model(sessionAffinity=AFFINITY)), Routes(90, 10))
    validate_plan(plan)
    assert plan.manifests[0]["spec"]["rules"] == [
        {"matches": DEFAULT_MATCH, "backendRefs": _split(90, 10)}
    ]
    assert any("no canary cookie" in note for note in plan.notes)
    model = _model(sessionAffinity=STICKY_PRIMARY)
    plan = ROUTERS["gatewayapi:v1"].render(
        _input("gatewayapi:v1", model, cookies=Cookies(canary=CANARY_COOKIE)), Routes(90, 10)
    )
    validate_plan(plan)
    assert len(plan.manifests[0]["spec"]["rules"]) == 2
    assert any("no primary cookie" in note for note in plan.notes)


@BOTH
def test_affinity_expires_previous_cookie_in_the_one_response_filter(provider: str) -> None:
    service = {"headers": {"response": {"add": {"x-served-by": "podinfo"}}}}
    model = _model(service, sessionAffinity=AFFINITY)
    rules = _rules(provider, model, Routes(100, 0), cookies=Cookies(previous=PREVIOUS_COOKIE))
    served = {"name": "x-served-by", "value": "podinfo"}
    expire = {"name": "Set-Cookie", "value": f"{PREVIOUS_COOKIE}; Max-Age=-1"}
    assert rules == [
        {
            "matches": [_cookie(PREVIOUS_COOKIE)],
            "filters": [
                {
                    "type": "ResponseHeaderModifier",
                    "responseHeaderModifier": {"add": [expire, served]},
                }
            ],
            "backendRefs": _split(100, 0),
        },
        {
            "matches": DEFAULT_MATCH,
            "filters": [
                {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [served]}}
            ],
            "backendRefs": _split(100, 0),
        },
    ]
    assert _round_trip(
        provider, model, Routes(100, 0), cookies=Cookies(previous=PREVIOUS_COOKIE)
    ) == Routes(100, 0)


def test_affinity_expire_filter_goes_after_the_request_filter() -> None:
    service = {"headers": {"request": {"add": {"x-a": "1"}}}}
    model = _model(service, sessionAffinity=AFFINITY)
    rules = _rules("gatewayapi:v1", model, Routes(100, 0), cookies=Cookies(canary=CANARY_COOKIE))
    assert [f["type"] for f in rules[0]["filters"]] == [
        "RequestHeaderModifier",
        "ResponseHeaderModifier",
    ]
    assert rules[0]["filters"][1] == _set_cookie(f"{CANARY_COOKIE}; Max-Age=-1")
    assert [f["type"] for f in rules[1]["filters"]] == ["RequestHeaderModifier"]


@BOTH
def test_affinity_at_zero_without_any_cookie_is_one_rule(provider: str) -> None:
    rules = _rules(provider, _model(sessionAffinity=AFFINITY), Routes(100, 0))
    assert rules == [{"matches": DEFAULT_MATCH, "backendRefs": _split(100, 0)}]


@BOTH
def test_affinity_mirror_on_every_rule_carrying_the_split(provider: str) -> None:
    model = _model(iterations=5, mirror=True, sessionAffinity=AFFINITY)
    cookies = Cookies(previous=PREVIOUS_COOKIE)
    rules = _rules(provider, model, Routes(100, 0, mirrored=True), cookies=cookies)
    assert len(rules) == 2 and all(MIRROR_FILTER in r["filters"] for r in rules)
    assert _round_trip(provider, model, Routes(100, 0, True), cookies=cookies) == Routes(
        100, 0, True
    )


@BOTH
def test_ab_overrides_affinity(provider: str) -> None:
    ab = [{"headers": {"x-canary": {"exact": "insider"}}}]
    model = _model(iterations=5, match=ab, sessionAffinity=AFFINITY)
    router = ROUTERS[provider]
    given_ = _input(provider, model, cookies=Cookies(canary=CANARY_COOKIE))
    plan = router.render(given_, Routes(0, 100))
    validate_plan(plan)
    rules = plan.manifests[0]["spec"]["rules"]
    assert [r["backendRefs"] for r in rules] == [_split(0, 100), [_backend("podinfo-primary", 100)]]
    assert any("A/B" in note for note in plan.notes)


# ------------------------------------------------------------------ reading


def _route(provider: str, rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": ROUTERS[provider].api_version,
        "kind": "HTTPRoute",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"parentRefs": [PARENT], "rules": rules},
        **extra,
    }


@BOTH
def test_read_takes_the_last_rule_with_two_backends(provider: str) -> None:
    rules = [
        {"backendRefs": _split(30, 70)},
        {"backendRefs": _split(60, 40)},
        {"backendRefs": [_backend("podinfo-primary", 100)]},
    ]
    live = _accepted(_route(provider, rules))
    assert ROUTERS[provider].read_routes(_input(provider, _model(), [live])) == Routes(60, 40)


@BOTH
def test_read_with_affinity_takes_the_rule_setting_cookies(provider: str) -> None:
    cookied = _backend("podinfo-canary", 25, filters=[_set_cookie("c=v; Max-Age=1")])
    rules = [
        {"backendRefs": [_backend("podinfo-primary", 75), cookied]},
        {"backendRefs": _split(0, 100)},
    ]
    live = _accepted(_route(provider, rules))
    model = _model(sessionAffinity=AFFINITY)
    assert ROUTERS[provider].read_routes(_input(provider, model, [live])) == Routes(75, 25)
    # without affinity in the Canary, the last pair wins
    assert ROUTERS[provider].read_routes(_input(provider, _model(), [live])) == Routes(0, 100)


@BOTH
def test_read_mirrored_only_for_a_mirror_to_the_canary(provider: str) -> None:
    shadow = copy.deepcopy(MIRROR_FILTER)
    shadow["requestMirror"]["backendRef"]["name"] = "shadow"
    live = _accepted(_route(provider, [{"filters": [shadow], "backendRefs": _split(100, 0)}]))
    assert not ROUTERS[provider].read_routes(_input(provider, _model(), [live])).mirrored


@BOTH
@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (None, "not found"),
        ([{"backendRefs": [_backend("podinfo-primary", 100)]}], "does not contain routes"),
        ([{"backendRefs": _split(0, 0)}], "does not contain routes"),
        (
            [{"backendRefs": [_backend("podinfo-primary", "x"), _backend("podinfo-canary", 0)]}],
            "not an integer",
        ),
        ("nope", "not a list of rules"),
    ],
)
def test_read_errors(provider: str, rules: Any, message: str) -> None:
    live = [] if rules is None else [_accepted(_route(provider, rules))]
    with pytest.raises(RoutesError, match=message):
        ROUTERS[provider].read_routes(_input(provider, _model(), live))


def test_read_v1_needs_every_parent_accepted_at_the_current_generation() -> None:
    router, provider = ROUTERS["gatewayapi:v1"], "gatewayapi:v1"
    other = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "internal"}
    route = _route(provider, [{"backendRefs": _split(90, 10)}])
    route["spec"]["parentRefs"] = [PARENT, other]
    route["metadata"]["generation"] = 3
    extra_section = {**PARENT, "sectionName": "https"}

    def read(*parents: dict[str, Any]) -> Routes:
        live = {**route, "status": {"parents": list(parents)}}
        return router.read_routes(_input(provider, _model(), [live]))

    with pytest.raises(RoutesError, match="parent Gateway test/internal is not ready"):
        read(_parent_status(PARENT, 3))
    with pytest.raises(RoutesError, match="parent Gateway gateways/public is not ready"):
        read(_parent_status(PARENT, 2), _parent_status(other, 3))
    with pytest.raises(RoutesError, match="gateways/public is not ready"):
        read(_parent_status(PARENT, 3, status="False"), _parent_status(other, 3))
    with pytest.raises(RoutesError, match="gateways/public is not ready"):
        read(_parent_status(extra_section, 3), _parent_status(other, 3))
    assert read(_parent_status(PARENT, 3), _parent_status(other, 4)) == Routes(90, 10)
    # a status written against the parent reference without its defaults matches as well
    bare = {"name": "public", "namespace": "gateways"}
    assert read(_parent_status(bare, 3), _parent_status({"name": "internal"}, 3)) == Routes(90, 10)
    with pytest.raises(RoutesError, match="not ready"):
        read()


def test_read_v1beta1_ignores_parent_status() -> None:
    route = _route("gatewayapi:v1beta1", [{"backendRefs": _split(90, 10)}])
    route["metadata"]["generation"] = 3
    router = ROUTERS["gatewayapi:v1beta1"]
    assert router.read_routes(_input("gatewayapi:v1beta1", _model(), [route])) == Routes(90, 10)


def test_read_uses_the_router_version() -> None:
    live = _accepted(_route("gatewayapi:v1beta1", [{"backendRefs": _split(90, 10)}]))
    with pytest.raises(RoutesError, match="not found"):
        ROUTERS["gatewayapi:v1"].read_routes(_input("gatewayapi:v1", _model(), [live]))


# ------------------------------------------------------------------ take-over and finalize

FOREIGN_SPEC = {
    "parentRefs": [GATEWAY],
    "rules": [{"backendRefs": [{"name": "podinfo", "port": 9898}]}],
}


@BOTH
def test_take_over_and_restore(provider: str) -> None:
    router = ROUTERS[provider]
    foreign = _route(provider, [])
    foreign["spec"] = FOREIGN_SPEC
    foreign["metadata"]["annotations"] = {"other-controller/key": "kept"}
    plan = router.render(_input(provider, _model(), [foreign]), Routes(90, 10))
    validate_plan(plan)
    route = plan.manifests[0]
    assert "ownerReferences" not in route["metadata"]
    assert json.loads(route["metadata"]["annotations"][ORIGINAL_CONFIGURATION]) == {
        "spec": FOREIGN_SPEC
    }
    # annotations others wrote are left to the applier's merge: only spec is replaced
    assert plan.apply[0].policy.replace == ("spec",)

    done = router.finalize(_input(provider, _model(), plan.manifests))
    assert [m["spec"] for m in done.manifests] == [FOREIGN_SPEC]
    assert done.apply[0].policy.replace == ("spec",)
    assert any("restored" in note for note in done.notes)


@BOTH
def test_finalize_leaves_own_route_to_garbage_collection(provider: str) -> None:
    router = ROUTERS[provider]
    plan = router.render(_input(provider, _model()), Routes(50, 50))
    assert router.finalize(_input(provider, _model(), plan.manifests)).apply == ()
    missing = router.finalize(_input(provider, _model()))
    assert missing.apply == () and any("not found" in n for n in missing.notes)


@BOTH
def test_reads(provider: str) -> None:
    version = ROUTERS[provider].api_version
    assert ROUTERS[provider].reads(_input(provider, _model())) == [
        ObjectRef(version, "HTTPRoute", "test", "podinfo")
    ]


@pytest.mark.parametrize(
    ("cookies", "routes"),
    [
        (Cookies(), Routes()),
        (Cookies(canary=CANARY_COOKIE, primary=PRIMARY_COOKIE), Routes(50, 50)),
        (Cookies(canary=CANARY_COOKIE), Routes(50, 50)),
        (Cookies(previous=PREVIOUS_COOKIE), Routes(100, 0, True)),
        (Cookies(canary=CANARY_COOKIE), Routes(0, 100)),
    ],
)
@BOTH
def test_every_affinity_state_validates(provider: str, cookies: Cookies, routes: Routes) -> None:
    model = _model(SERVICE, iterations=3, mirror=True, sessionAffinity=STICKY_PRIMARY)
    if provider == "gatewayapi:v1beta1":
        model = _model(iterations=3, mirror=True, sessionAffinity=STICKY_PRIMARY)
    route = _render(provider, model, routes, cookies=cookies)
    assert_crd_valid(route)
    assert _round_trip(provider, model, routes, cookies=cookies) == routes


# ------------------------------------------------------------------ against the API double


@BOTH
def test_apply_against_the_api_double(apiserver: ApiServerHandle, provider: str) -> None:
    client = apiserver.api_client()
    applier, api = Applier(client), KubeApi(client)
    router = ROUTERS[provider]
    model = _model(iterations=5, mirror=True, sessionAffinity=AFFINITY)
    first = _input(provider, model, cookies=Cookies(canary=CANARY_COOKIE))
    ref = router.reads(first)[0]

    def apply(routes: Routes) -> list[EffectResult]:
        plan = router.render(first, routes)
        outcomes = [applier.apply(d.manifest, at=AT, policy=d.policy) for d in plan.apply]
        return [outcome.result for outcome in outcomes]

    def read() -> Routes:
        live = api.get(ref)
        assert live is not None
        if provider == "gatewayapi:v1":
            # the double runs no Gateway controller: report what one would
            generation = live["metadata"]["generation"]
            parents = [_parent_status(p, generation) for p in live["spec"]["parentRefs"]]
            live = api.patch_status(ref, {"status": {"parents": parents}})
        return router.read_routes(_input(provider, model, [live]))

    applied, unchanged = EffectResult.APPLIED, EffectResult.UNCHANGED
    assert apply(Routes(100, 0, mirrored=True)) == [applied]
    assert apply(Routes(100, 0, mirrored=True)) == [unchanged]
    assert read() == Routes(100, 0, mirrored=True)
    assert apply(Routes(70, 30)) == [applied]
    assert read() == Routes(70, 30)
    live = api.get(ref)
    assert live is not None
    rules = live["spec"]["rules"]
    assert len(rules) == 2 and all("filters" not in rule for rule in rules)
    assert rules[1]["backendRefs"][1]["filters"] == [_set_cookie(f"{CANARY_COOKIE}; Max-Age=3600")]
    assert apply(Routes(70, 30)) == [unchanged]
    assert apply(Routes(0, 100)) == [applied]
    assert read() == Routes(0, 100)
    if provider == "gatewayapi:v1":
        # a newer generation than the parents have seen is not ready yet
        assert apply(Routes(100, 0)) == [applied]
        stale = api.get(ref)
        assert stale is not None
        with pytest.raises(RoutesError, match="not ready"):
            router.read_routes(_input(provider, model, [stale]))
