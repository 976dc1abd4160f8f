"""The shared JSON merge patch follows RFC 7386 and never changes its inputs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reducers.patching import merge_patch


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [  # the examples of RFC 7386, appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_rfc_7386_examples(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


def test_inputs_are_untouched_and_nothing_is_shared() -> None:
    target = {"spec": {"a": [1, 2], "keep": {"x": 1}}, "gone": 1}
    patch = {"spec": {"a": [3], "new": {"y": 2}}, "gone": None}
    before_target, before_patch = copy.deepcopy(target), copy.deepcopy(patch)
    result = merge_patch(target, patch)
    assert result == {"spec": {"a": [3], "keep": {"x": 1}, "new": {"y": 2}}}
    assert (target, patch) == (before_target, before_patch)
    result["spec"]["keep"]["x"] = 99
    result["spec"]["new"]["y"] = 99
    assert target["spec"]["keep"]["x"] == 1 and patch["spec"]["new"]["y"] == 2
