"""Signatures: the header format, a tampered body, the replay window."""

from __future__ import annotations

import hashlib
import hmac

from chat.webhooks.signing import signature_header, verify_signature

SECRET = "whsec_test"
BODY = b'{"id":"e1","type":"message.created"}'


def test_the_header_is_hmac_sha256_of_timestamp_dot_body() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verification_checks_body_secret_and_age() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=1_700_000_000)
    at = 1_700_000_000.0
    assert verify_signature(secret=SECRET, body=BODY, header=header, now=at)
    assert not verify_signature(secret=SECRET, body=BODY + b" ", header=header, now=at)
    assert not verify_signature(secret="whsec_other", body=BODY, header=header, now=at)
    # The replay window: five minutes either way by default.
    assert verify_signature(secret=SECRET, body=BODY, header=header, now=at + 299)
    assert not verify_signature(secret=SECRET, body=BODY, header=header, now=at + 301)
    assert not verify_signature(secret=SECRET, body=BODY, header=header, now=at - 301)
    assert verify_signature(secret=SECRET, body=BODY, header=header, now=at + 500, tolerance=600)


def test_a_changed_timestamp_breaks_the_signature() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=1_700_000_000)
    replayed = header.replace("t=1700000000", "t=1700000900")
    assert not verify_signature(secret=SECRET, body=BODY, header=replayed, now=1_700_000_900)


def test_malformed_headers_do_not_verify() -> None:
    for header in ["", "t=abc,v1=00", "v1=00", "t=1700000000", "garbage"]:
        assert not verify_signature(secret=SECRET, body=BODY, header=header, now=1_700_000_000)


def test_any_of_several_v1_values_may_match() -> None:
    good = signature_header(secret=SECRET, body=BODY, timestamp=1_700_000_000)
    header = good.replace("v1=", "v1=deadbeef,v1=")
    assert verify_signature(secret=SECRET, body=BODY, header=header, now=1_700_000_000)
