"""The one place where secret values are removed before anything reaches the database.

Every payload passes through ``Redactor.redact`` inside ``Ledger.append`` (and ``import``), so no
path into the ledger can skip it. Three rules, each cheap and conservative:

1. A Kubernetes ``Secret`` object anywhere in a payload keeps its keys but loses its values.
2. A value under a key that names a credential (``password``, ``token``, ``apiKey``,
   ``authorization``, ...) is replaced, as are credentials inside URLs (``user:pass@`` and
   sensitive query parameters).
3. Values the operator learned from Secrets at run time (``remember``) are cut out of any string,
   in plain and base64 form, wherever they appear.

References to secrets (``secretRef``, ``secretName``, ``secretKeyRef``) are names, not values,
and are kept: ``explain`` needs them to say which Secret was used.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"

_SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwd",
        "token",
        "accesstoken",
        "refreshtoken",
        "bearertoken",
        "idtoken",
        "apikey",
        "appkey",
        "applicationkey",
        "authorization",
        "proxyauthorization",
        "secret",
        "clientsecret",
        "secretkey",
        "secretaccesskey",
        "awssecretaccesskey",
        "sessiontoken",
        "awssessiontoken",
        "privatekey",
        "credentials",
        "ddapikey",
        "ddapplicationkey",
        "xapikey",
        "xauthtoken",
        "serviceaccountkey",
        "jsonkey",
    }
)
_SENSITIVE_SUFFIXES = ("password", "token", "secret", "apikey", "secretkey", "privatekey")
_URL_WITH_CREDENTIALS = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/]*:[^\s/@]*@")
_MIN_REMEMBERED = 4  # shorter strings would cut ordinary words out of payloads
_PLAIN = frozenset({int, float, bool, type(None)})  # leaves that never hold a secret


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=4096)  # payload keys repeat endlessly; decide each once
def is_sensitive_key(key: str) -> bool:
    """True when a mapping key names a credential value (not a reference to one)."""
    k = _NOT_ALNUM.sub("", key.lower())
    return k in _SENSITIVE_KEYS or k.endswith(_SENSITIVE_SUFFIXES)


class Redactor:
    """Removes secret values from JSON-able payloads; holds values learned from Secrets."""

    def __init__(self) -> None:
        self._known: set[str] = set()

    def remember(self, values: Iterable[str | bytes]) -> None:
        """Add secret values (and their base64 forms) to cut out of every later payload."""
        for value in values:
            raw = value if isinstance(value, bytes) else value.encode()
            text = raw.decode(errors="replace")
            if len(text) >= _MIN_REMEMBERED:
                self._known.add(text)
                self._known.add(base64.b64encode(raw).decode())

    def redact(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``payload`` with every secret value replaced by ``[redacted]``."""
        result = self._value(payload)
        assert isinstance(result, dict)
        return result

    def _value(self, value: Any) -> Any:
        # Exact types first: every payload value passes here, and the ``Mapping`` check below
        # goes through ``abc`` machinery that cost more than the rest of an append's Python work.
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is str:
            return self._string(value)
        if kind is dict:
            return self._mapping(value)
        if isinstance(value, Mapping):
            return self._mapping(value)
        if isinstance(value, list | tuple):
            return [self._value(v) for v in value]
        if isinstance(value, str):
            return self._string(value)
        return value

    def _mapping(self, mapping: Mapping[str, Any]) -> dict[str, Any]:
        is_secret_object = mapping.get("kind") == "Secret" and "apiVersion" in mapping
        out: dict[str, Any] = {}
        for key, value in mapping.items():
            if is_secret_object and key in ("data", "stringData") and isinstance(value, Mapping):
                out[key] = dict.fromkeys(value, REDACTED)
            elif isinstance(key, str) and is_sensitive_key(key) and _is_leaf_value(value):
                out[key] = REDACTED
            else:
                out[key] = self._value(value)
        return out

    def _string(self, text: str) -> str:
        for known in self._known:
            if known in text:
                text = text.replace(known, REDACTED)
        if "://" in text:
            text = _redact_url(text)
        return text


def _is_leaf_value(value: Any) -> bool:
    # A mapping under a sensitive-looking key (e.g. ``token: {secretKeyRef: ...}``) is walked
    # rather than dropped, so references inside it survive while values inside it do not.
    return value is not None and value != "" and not isinstance(value, Mapping | list | bool)


def _redact_url(text: str) -> str:
    text = _URL_WITH_CREDENTIALS.sub(_mask_userinfo, text)
    if "?" not in text or " " in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.query:
        return text
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(is_sensitive_key(k) for k, _ in pairs):
        return text
    query = urlencode([(k, REDACTED if is_sensitive_key(k) else v) for k, v in pairs])
    return urlunsplit(parts._replace(query=query))


def _mask_userinfo(match: re.Match[str]) -> str:
    scheme_and_user = match.group(0).rsplit(":", 1)[0]
    return f"{scheme_and_user}:{REDACTED}@"
