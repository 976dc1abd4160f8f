"""No secret value reaches the database: checked on the bytes of the SQLite files themselves."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger import Ledger, NewEvent
from ledger.redaction import REDACTED, Redactor, is_sensitive_key
from tests.ledger.sample_events import at

SECRET_PASSWORD = "s3cr3t-Pa55w0rd-xyzzy"
SECRET_TOKEN = "tok_9f8e7d6c5b4a3210"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"
DD_KEY = "dd0123456789abcdefKEY"
LEARNED = "learned-at-runtime-42"


def secret_payloads() -> list[dict[str, object]]:
    return [
        {  # a Kubernetes Secret observed in full
            "object": {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "prom-auth", "namespace": "test"},
                "data": {
                    "password": base64.b64encode(SECRET_PASSWORD.encode()).decode(),
                    "address": base64.b64encode(SLACK_URL.encode()).decode(),
                },
                "stringData": {"token": SECRET_TOKEN},
            }
        },
        {  # provider credentials as a metric provider call would carry them
            "provider": "datadog",
            "headers": {"DD-API-KEY": DD_KEY, "Authorization": f"Bearer {SECRET_TOKEN}"},
            "auth": {"username": "admin", "password": SECRET_PASSWORD},
            "secretRef": {"name": "datadog"},
        },
        {"url": f"https://admin:{SECRET_PASSWORD}@prometheus.example:9090/api/v1/query"},
        {"url": f"https://api.example/q?api_key={DD_KEY}&query=up"},
        {"message": f"webhook answered: {LEARNED} was wrong"},
        {"address": SLACK_URL},
    ]


def test_secret_values_never_reach_the_database_file(tmp_path: Path) -> None:
    location = tmp_path / "ledger.db"
    with Ledger.open(str(location)) as ledger:
        ledger.redactor.remember([LEARNED, SLACK_URL])
        batch = [NewEvent("test.secretive", p, at(i)) for i, p in enumerate(secret_payloads())]
        ledger.append("canary/test/podinfo", batch, expected_version=0)
        stored = [e.payload for e in ledger.read_stream("canary/test/podinfo")]
        # Names of secrets survive: explain needs to say which Secret was used.
        assert stored[1]["secretRef"] == {"name": "datadog"}
        assert stored[0]["object"]["data"] == {"password": REDACTED, "address": REDACTED}
        assert stored[1]["auth"] == {"username": "admin", "password": REDACTED}
    files = [p for p in tmp_path.iterdir() if p.name.startswith("ledger.db")]
    raw = b"".join(p.read_bytes() for p in files)
    assert b"podinfo" in raw  # the file does hold the events
    for secret in (SECRET_PASSWORD, SECRET_TOKEN, SLACK_URL, DD_KEY, LEARNED):
        assert secret.encode() not in raw, secret
        assert base64.b64encode(secret.encode()) not in raw, secret


def test_secret_values_never_reach_postgresql(postgres_url: str) -> None:
    with Ledger.open(postgres_url) as ledger:
        ledger.redactor.remember([LEARNED, SLACK_URL])
        batch = [NewEvent("test.secretive", p, at(i)) for i, p in enumerate(secret_payloads())]
        ledger.append("s", batch, expected_version=0)
        with ledger.engine.connect() as conn:
            dump = "".join(str(r) for r in conn.execute(text("SELECT * FROM events")))
    assert "prom-auth" in dump
    for secret in (SECRET_PASSWORD, SECRET_TOKEN, SLACK_URL, DD_KEY, LEARNED):
        assert secret not in dump


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("password", True),
        ("bearerToken", True),
        ("DD-API-KEY", True),
        ("aws_secret_access_key", True),
        ("Authorization", True),
        ("secretRef", False),
        ("secretName", False),
        ("secretKeyRef", False),
        ("cookieName", False),
        ("tokenRef", False),
        ("name", False),
    ],
)
def test_sensitive_keys(key: str, sensitive: bool) -> None:
    assert is_sensitive_key(key) is sensitive


def test_references_under_sensitive_keys_are_walked_not_dropped() -> None:
    out = Redactor().redact({"token": {"secretKeyRef": {"name": "x", "key": "t"}}, "password": ""})
    assert out == {"token": {"secretKeyRef": {"name": "x", "key": "t"}}, "password": ""}


def test_urls_keep_their_shape() -> None:
    r = Redactor()
    assert r.redact({"u": "http://prom:9090/api?query=up"}) == {
        "u": "http://prom:9090/api?query=up"
    }
    assert r.redact({"u": "https://u:p@h/x"}) == {"u": f"https://u:{REDACTED}@h/x"}


def test_a_non_secret_object_named_data_is_kept() -> None:
    payload = {"kind": "ConfigMap", "apiVersion": "v1", "data": {"a": "b"}}
    assert Redactor().redact(payload) == payload
