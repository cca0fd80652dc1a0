"""Which URLs webhooks may reach (SSRF)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from chat.webhooks.urlsafety import UnsafeURL, check_webhook_url, validate_webhook_url


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://10.0.0.1/",
        "http://192.168.1.10:8080/hook",
        "http://172.16.0.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://127.0.0.1:8000/",
        "http://localhost/",  # a name that resolves to loopback
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
        "http://[fd00::1]/",  # unique local
        "http://224.0.0.1/",  # multicast
        "http://240.0.0.1/",  # reserved
        "http://0.0.0.0/",
    ],
)
def test_private_and_special_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL, match="public addresses"):
        check_webhook_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://93.184.216.34/", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://93.184.216.34/", "Only http and https"),
        ("http:///path", "no host"),
        ("https://user:pw@93.184.216.34/", "no user name or password"),
        ("http://93.184.216.34:99999/", "not a valid URL"),
        ("http://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_other_bad_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL, match=reason):
        check_webhook_url(url)


def test_public_addresses_pass() -> None:
    check_webhook_url("https://93.184.216.34/hooks?x=1")
    check_webhook_url("http://[2606:2800:220:1:248:1893:25c8:1946]/")


def test_a_setting_allows_private_networks(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    check_webhook_url("http://10.0.0.1/")
    check_webhook_url("http://localhost:8000/")
    with pytest.raises(UnsafeURL):
        check_webhook_url("ftp://10.0.0.1/")  # still only http(s)


def test_the_validator_speaks_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_webhook_url("http://10.0.0.1/")
    assert caught.value.code == "unsafe_url"
