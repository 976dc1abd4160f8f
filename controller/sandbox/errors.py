"""API errors of the double, each rendered as the ``Status`` body a real apiserver sends.

Clients branch on ``code`` and ``reason`` (``kubernetes.client.ApiException.status``, kopf's and
client-go's ``IsConflict``/``IsNotFound``), and people read ``message``. So every error here carries
the same three as kube-apiserver, with messages worded like its own (``deployments.apps "x" not
found``). The store raises these; the HTTP layer turns them into responses at one choke point.
"""

from __future__ import annotations

from typing import Any

Body = dict[str, Any]
"""A Kubernetes object or other JSON document, as decoded (the JSON edge of the double)."""


class ApiError(Exception):
    """One failed API request: an HTTP status code, a machine-readable reason and a message."""

    def __init__(self, code: int, reason: str, message: str, details: Body | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> Body:
        """The ``Status`` object for the response body (and for watch ``ERROR`` events)."""
        body: Body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def qualified(group: str, plural: str) -> str:
    """``deployments.apps``, or ``pods`` for the core group, as messages name a resource."""
    return f"{plural}.{group}" if group else plural


def _details(group: str, plural: str, name: str | None) -> Body:
    details: Body = {"group": group, "kind": plural}
    if name:
        details["name"] = name
    return details


def not_found(group: str, plural: str, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{qualified(group, plural)} "{name}" not found',
        _details(group, plural, name),
    )


def resource_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(group: str, plural: str, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(group, plural)} "{name}" already exists',
        _details(group, plural, name),
    )


def conflict(group: str, plural: str, name: str, why: str | None = None) -> ApiError:
    why = why or (
        "the object has been modified; please apply your changes to the latest version "
        "and try again"
    )
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(group, plural)} "{name}": {why}',
        _details(group, plural, name),
    )


def invalid(kind: str, group: str, name: str, field: str, problem: str) -> ApiError:
    """422 Invalid with one field cause, as validation and admission failures are reported."""
    details: Body = {
        "name": name,
        "group": group,
        "kind": kind,
        "causes": [{"reason": "FieldValueInvalid", "message": problem, "field": field}],
    }
    what = f"{kind}.{group}" if group else kind
    return ApiError(422, "Invalid", f'{what} "{name}" is invalid: {field}: {problem}', details)


def unprocessable(message: str) -> ApiError:
    """422 without a field cause: how a JSON patch that cannot be applied is reported."""
    return ApiError(422, "UnprocessableEntity", message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed(method: str) -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        f"the server does not allow this method on the requested resource ({method})",
        {},
    )


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format ({content_type}) - accepted media "
        f"types include: {', '.join(accepted)}",
    )


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def too_large_resource_version(requested: int, current: int) -> ApiError:
    return ApiError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": 1,
        },
    )


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


REASONS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
"""The ``reason`` a real apiserver gives with each status code, used for injected faults."""


def for_code(code: int, message: str | None = None) -> ApiError:
    """An error with ``code`` and its usual reason: what fault injection answers with."""
    reason = REASONS.get(code, "Unknown")
    return ApiError(code, reason, message or f"injected fault: {reason}", {})
