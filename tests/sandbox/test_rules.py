"""The double's pure rules, directly: patch formats, selectors and version order."""

from __future__ import annotations

from typing import Any

import pytest

from controller.sandbox.catalog import sort_versions
from controller.sandbox.errors import ApiError
from controller.sandbox.patches import PatchError, json_patch, strategic_merge_patch
from controller.sandbox.selectors import Selector, parse_labels, selector_string
from reducers.patching import merge_patch


def test_json_patch_move_copy_remove_and_append() -> None:
    document = {"a": {"b": 1}, "list": [1, 2]}
    patched = json_patch(
        document,
        [
            {"op": "copy", "from": "/a/b", "path": "/c"},
            {"op": "move", "from": "/a", "path": "/moved"},
            {"op": "add", "path": "/list/-", "value": 3},
            {"op": "add", "path": "/list/0", "value": 0},
            {"op": "remove", "path": "/list/1"},
            {"op": "add", "path": "/x~1y", "value": True},
        ],
    )
    assert patched == {"c": 1, "moved": {"b": 1}, "list": [0, 2, 3], "x/y": True}
    assert document == {"a": {"b": 1}, "list": [1, 2]}  # inputs are never mutated


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "remove", "path": "/missing"}],
        [{"op": "replace", "path": "/list/5", "value": 1}],
        [{"op": "test", "path": "/flag", "value": 1}],  # JSON true is not 1
        [{"op": "frobnicate", "path": "/a"}],
        {"op": "add", "path": "/a", "value": 1},
    ],
)
def test_json_patch_errors(operations: Any) -> None:
    with pytest.raises(PatchError):
        json_patch({"list": [], "flag": True}, operations)


def test_merge_patch_replaces_lists_whole() -> None:
    assert merge_patch({"a": [1, 2], "b": {"c": 1}}, {"a": [3], "b": None}) == {"a": [3]}


def test_strategic_merge_directives() -> None:
    original = {
        "containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}],
        "ownerReferences": [{"uid": "u1", "name": "one"}],
        "tolerations": [{"key": "x"}],
        "template": {"keep": 1, "drop": 2},
    }
    patch = {
        "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
        "containers": [{"name": "a", "image": "2"}],
        "ownerReferences": [{"uid": "u2", "name": "two"}],
        "tolerations": [{"key": "y"}],
        "template": {"$retainKeys": ["keep", "new"], "new": 3},
    }
    assert strategic_merge_patch(original, patch) == {
        "containers": [{"name": "b", "image": "1"}, {"name": "a", "image": "2"}],
        "ownerReferences": [{"uid": "u1", "name": "one"}, {"uid": "u2", "name": "two"}],
        "tolerations": [{"key": "y"}],  # no merge key: replaced
        "template": {"keep": 1, "new": 3},
    }


def test_strategic_merge_deletes_a_map() -> None:
    patched = strategic_merge_patch({"a": {"b": 1}, "c": 1}, {"a": {"$patch": "delete"}})
    assert patched == {"c": 1}


def test_label_selector_numeric_comparisons() -> None:
    selector = Selector(parse_labels("tier>2,tier<5"))
    assert [selector.matches({"metadata": {"labels": {"tier": str(n)}}}) for n in (2, 3, 5)] == [
        False,
        True,
        False,
    ]
    with pytest.raises(ApiError):
        parse_labels("tier>x")


def test_selector_strings_from_label_selectors() -> None:
    rendered = selector_string(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["b", "a"]},
                {"key": "canary", "operator": "DoesNotExist"},
            ],
        }
    )
    assert rendered == "app=web,tier in (a,b),!canary"
    assert Selector(parse_labels(rendered)).matches(
        {"metadata": {"labels": {"app": "web", "tier": "a"}}}
    )


def test_kubernetes_version_order() -> None:
    assert sort_versions(["v1alpha1", "v1beta1", "v2", "v1", "v1beta2", "v10", "zz"]) == (
        "v10",
        "v2",
        "v1",
        "v1beta2",
        "v1beta1",
        "v1alpha1",
        "zz",
    )
