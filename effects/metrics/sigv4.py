"""AWS Signature Version 4 for one request, written out because it is short and fully specified.

Pulling in botocore (tens of megabytes) to sign one POST a minute is not worth its weight; this
module follows the published algorithm — canonical request, string to sign, derived key — and is
tested against AWS's published test-suite vectors (``tests/metrics/test_sigv4.py``). Pure: the
time arrives as an argument.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class AwsCredentials:
    """An access key pair and, for temporary credentials, the session token."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((quote(name, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def sign(
    *,
    method: str,
    host: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: AwsCredentials,
    region: str,
    service: str,
    at: datetime,
) -> dict[str, str]:
    """The headers to add (``X-Amz-Date``, ``Authorization``, maybe the session token).

    ``query`` is the already URL-encoded query string; ``headers`` are the other headers to sign
    (``Host`` is always signed).
    """
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    added = {"X-Amz-Date": stamp}
    if credentials.session_token:
        added["X-Amz-Security-Token"] = credentials.session_token
    signed: dict[str, str] = {"host": host}
    for name, value in {**headers, **added}.items():
        signed[name.lower()] = " ".join(value.split())
    names = sorted(signed)
    canonical = "\n".join(
        [
            method,
            quote(path or "/", safe="/-_.~"),
            _canonical_query(query),
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + credentials.secret_access_key).encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    added["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return added
