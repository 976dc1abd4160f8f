"""SigV4 against vectors of AWS's published Signature Version 4 test suite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from effects.metrics.sigv4 import AwsCredentials, sign

SUITE = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SUITE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "method", "query", "headers", "body", "signed", "signature"),
    [
        (
            "get-vanilla",
            "GET",
            "",
            {},
            b"",
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "get-vanilla-query-order-key-case",
            "GET",
            "Param2=value2&Param1=value1",
            {},
            b"",
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        (
            "post-x-www-form-urlencoded",
            "POST",
            "",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"Param1=value1",
            "content-type;host;x-amz-date",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        ),
    ],
)
def test_aws_test_suite_vectors(
    name: str,
    method: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    signed: str,
    signature: str,
) -> None:
    added = sign(
        method=method,
        host="example.amazonaws.com",
        path="/",
        query=query,
        headers=headers,
        body=body,
        credentials=SUITE,
        region="us-east-1",
        service="service",
        at=SUITE_TIME,
    )

    assert added["X-Amz-Date"] == "20150830T123600Z"
    assert added["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


def test_a_session_token_is_sent_and_signed() -> None:
    added = sign(
        method="GET",
        host="example.amazonaws.com",
        path="/",
        query="",
        headers={},
        body=b"",
        credentials=AwsCredentials("AKIDEXAMPLE", "secret", "session"),
        region="us-east-1",
        service="service",
        at=SUITE_TIME,
    )

    assert added["X-Amz-Security-Token"] == "session"
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in added["Authorization"]
