"""Google Cloud Monitoring (``stackdriver``): an MQL query through ``timeSeries:query``.

``POST /v3/projects/<project>/timeSeries:query`` with ``{"query": <mql>}`` and an OAuth bearer
token; the first point's first double (or integer) value is the value. The Secret holds
``project`` and, optionally, ``serviceAccountKey`` (the JSON key file): Roost then signs a JWT
grant with the key and exchanges it at the key's ``token_uri``; without a key, the token comes
from the GKE/GCE metadata server, as Google's client does with ambient credentials.
Availability: an empty query must be refused with ``INVALID_ARGUMENT``, as in Flagger.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from effects.metrics import transport
from effects.metrics.base import (
    FailureKind,
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
    required,
)
from effects.metrics.transport import Empty, Failed

DEFAULT_ADDRESS = "https://monitoring.googleapis.com"
METADATA_TOKEN = (
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"
)
SCOPE = "https://www.googleapis.com/auth/monitoring.read"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_grant(key: dict[str, Any], *, at: datetime) -> str:
    """A JWT bearer grant for the service account ``key``, issued at ``at``."""
    issued = int(at.timestamp())
    header = {"alg": "RS256", "typ": "JWT", "kid": key.get("private_key_id", "")}
    claims = {
        "iss": key["client_email"],
        "scope": SCOPE,
        "aud": key["token_uri"],
        "iat": issued,
        "exp": issued + 3600,
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    private = serialization.load_pem_private_key(key["private_key"].encode(), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise Failed(FailureKind.CONFIG, "serviceAccountKey does not hold an RSA key")
    signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


class StackdriverProvider:
    """Queries Cloud Monitoring for one project."""

    def __init__(self, config: ProviderConfig) -> None:
        (self._project,) = required(config.credentials, "project")
        self._key: dict[str, Any] | None = None
        if config.credentials.get("serviceAccountKey"):
            try:
                self._key = json.loads(config.credentials["serviceAccountKey"])
            except json.JSONDecodeError as e:
                raise ProviderConfigError(f"serviceAccountKey is not JSON: {e}") from e
        self._config = config
        self._address = config.spec.address or DEFAULT_ADDRESS

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query, at))

    def is_online(self, *, at: datetime) -> QueryError | None:
        def empty_query() -> None:
            response = self._post("", at)
            status = (response.json().get("error") or {}).get("status")
            if status != "INVALID_ARGUMENT":
                transport.checked(response, ok=lambda s: False)

        return transport.probe(empty_query)

    def _token(self, at: datetime) -> str:
        if self._key is None:
            with transport.client(self._config, base_url="") as c:
                response = c.get(METADATA_TOKEN, headers={"Metadata-Flavor": "Google"})
                body = transport.checked(response)
        else:
            form = {"grant_type": GRANT, "assertion": signed_grant(self._key, at=at)}
            with transport.client(self._config, base_url="") as c:
                response = c.post(self._key["token_uri"], data=form)
            if response.status_code >= 400:
                raise Failed(
                    FailureKind.AUTH, f"token exchange refused: {transport.truncate(response.text)}"
                )
            body = response.json()
        token: str = body["access_token"]
        return token

    def _post(self, query: str, at: datetime) -> Any:
        headers = {"Authorization": f"Bearer {self._token(at)}"}
        path = f"/v3/projects/{self._project}/timeSeries:query"
        with transport.client(self._config, base_url=self._address, headers=headers) as c:
            return c.post(path, json={"query": query})

    def _query(self, query: str, at: datetime) -> float | None:
        response = self._post(query, at)
        if response.status_code >= 400:
            error = response.json().get("error") or {}
            raise Failed(
                transport.status_kind(response.status_code),
                f"{error.get('status', response.status_code)}: {error.get('message', '')}",
            )
        data = response.json().get("timeSeriesData") or []
        points = data[0].get("pointData") or [] if data else []
        values = points[0].get("values") or [] if points else []
        if not values:
            raise Empty("no values found")
        value = values[0]
        for kind in ("doubleValue", "int64Value"):
            if kind in value:
                return float(value[kind])
        raise Failed(FailureKind.BAD_RESPONSE, f"first value is not a number: {value}")


def make(config: ProviderConfig) -> StackdriverProvider:
    return StackdriverProvider(config)
