"""JSON patch and strategic merge patch, two of the Kubernetes API's three patch formats.

The third, JSON merge patch, is the project-wide ``reducers.patching.merge_patch``. Each function
takes the stored object and the patch and returns a new object, never mutating its inputs. A patch
that cannot apply raises ``PatchError``, which the store reports as 422 as the apiserver does (a
failed JSON-patch ``test`` included).

Strategic merge is an approximation: the apiserver reads each list's merge key from the Go type,
here the key comes from the list's field name, which covers the lists an operator patches
(containers, env, ports, volumes, volume mounts, conditions, owner references, finalizers).
Lists not known here are replaced, as they are for atomic lists in a real cluster.
"""

from __future__ import annotations

import copy
from typing import Any

from controller.sandbox.errors import Body


class PatchError(Exception):
    """The patch is well-formed JSON but cannot be applied to this object."""


# ------------------------------------------------------------------ JSON patch (RFC 6902)


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise PatchError(f"invalid JSON pointer: {path!r}")
    if path == "":
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def _walk(document: Any, tokens: list[str]) -> Any:
    node = document
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise PatchError(f"path /{'/'.join(tokens)} does not exist")
    return node


def _index(node: list[Any], token: str, *, appending: bool) -> int:
    if appending and token == "-":
        return len(node)
    if not token.isdigit():
        raise PatchError(f"invalid array index: {token!r}")
    index = int(token)
    if index > len(node) or (not appending and index == len(node)):
        raise PatchError(f"array index {index} out of range")
    return index


def _add(document: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _walk(document, tokens[:-1])
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, tokens[-1], appending=True), value)
    else:
        raise PatchError(f"cannot add to a scalar at /{'/'.join(tokens[:-1])}")
    return document


def _remove(document: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _walk(document, tokens[:-1])
    if isinstance(parent, dict) and tokens[-1] in parent:
        return parent.pop(tokens[-1])
    if isinstance(parent, list):
        return parent.pop(_index(parent, tokens[-1], appending=False))
    raise PatchError(f"path /{'/'.join(tokens)} does not exist")


def _same(left: Any, right: Any) -> bool:
    """JSON equality: unlike Python's, ``true`` is not ``1``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return bool(left == right)


def json_patch(document: Body, operations: Any) -> Body:
    """Apply RFC 6902 operations, all or nothing."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    result: Any = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise PatchError(f"invalid operation: {operation!r}")
        op, tokens = operation["op"], _pointer(operation.get("path"))
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchError(f"operation {op} needs a value")
        match op:
            case "add":
                result = _add(result, tokens, copy.deepcopy(operation["value"]))
            case "remove":
                _remove(result, tokens)
            case "replace":
                _walk(result, tokens)
                if tokens:
                    _remove(result, tokens)
                result = _add(result, tokens, copy.deepcopy(operation["value"]))
            case "move":
                value = _remove(result, _pointer(operation.get("from")))
                result = _add(result, tokens, value)
            case "copy":
                value = copy.deepcopy(_walk(result, _pointer(operation.get("from"))))
                result = _add(result, tokens, value)
            case "test":
                if not _same(_walk(result, tokens), operation["value"]):
                    raise PatchError(
                        f"testing value {operation.get('path')} failed: "
                        f"{_walk(result, tokens)!r} != {operation['value']!r}"
                    )
            case _:
                raise PatchError(f"unknown operation {op!r}")
    if not isinstance(result, dict):
        raise PatchError("the patched document is not an object")
    return dict(result)


# ------------------------------------------------------------------ strategic merge patch

_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}
_SET_LISTS = frozenset({"finalizers"})
"""Lists of scalars merged as sets (``patchStrategy: merge`` on a primitive list)."""

_DELETE = object()
"""Returned by ``_merge_map`` when the patch says ``$patch: delete`` for the whole map."""


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        keyed = any(isinstance(i, dict) and "containerPort" in i for i in items)
        return "containerPort" if keyed else "port"
    return _MERGE_KEYS.get(field)


def _clean(value: Any) -> Any:
    """A new value taken from the patch, with the patch directives removed."""
    if isinstance(value, dict):
        merged = _merge_map({}, value)
        return {} if merged is _DELETE else merged
    if isinstance(value, list):
        return [_clean(v) for v in value if not (isinstance(v, dict) and "$patch" in v)]
    return value


def _merge_list(field: str, original: Any, patch: list[Any]) -> list[Any]:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return _clean(patch)  # type: ignore[no-any-return]
    current = list(copy.deepcopy(original)) if isinstance(original, list) else []
    if field in _SET_LISTS:
        return current + [item for item in patch if item not in current]
    key = _merge_key(field, current + patch)
    if key is None or not all(isinstance(item, dict) for item in current + patch):
        return _clean(patch)  # type: ignore[no-any-return]
    for item in patch:
        matches = [i for i, old in enumerate(current) if old.get(key) == item.get(key)]
        if item.get("$patch") == "delete":
            current = [old for i, old in enumerate(current) if i not in matches]
        elif matches:
            merged = _merge_map(current[matches[0]], item)
            current[matches[0]] = {} if merged is _DELETE else merged
        else:
            current.append(_clean(item))
    return current


def _reorder(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def identity(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [identity(entry) for entry in order]
    ranked = [item for w in wanted for item in items if identity(item) == w]
    return ranked + [item for item in items if identity(item) not in wanted]


def _merge_map(original: Any, patch: dict[str, Any]) -> Any:
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    if directive == "replace":
        return _clean({k: v for k, v in patch.items() if k != "$patch"})
    result: dict[str, Any] = copy.deepcopy(original) if isinstance(original, dict) else {}
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
        elif key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [v for v in result.get(field) or [] if v not in value]
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _merge_map(result.get(key), value)
            if merged is _DELETE:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(result[field], order, _merge_key(field, result[field]))
    if isinstance(patch.get("$retainKeys"), list):
        keep = set(patch["$retainKeys"])
        result = {k: v for k, v in result.items() if k in keep}
    return result


def strategic_merge_patch(document: Body, patch: Any) -> Body:
    """Strategic merge: merge patch, plus merge-by-key lists and ``$patch`` directives."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    merged = _merge_map(document, patch)
    if merged is _DELETE:
        raise PatchError("a strategic merge patch cannot delete the whole object")
    return dict(merged)
