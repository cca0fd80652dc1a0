from __future__ import annotations

import pytest

from dashboard.templatetags.parley import browser_and_os
from dashboard.useragents import describe

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
MAC_FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (IPHONE, "Mobile Safari 17 on iOS 17.4 (iPhone)"),
        (WINDOWS_CHROME, "Chrome 131 on Windows 10"),
        (MAC_FIREFOX, "Firefox 128 on Mac OS X 14.5"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_describe(header: str, expected: str) -> None:
    assert describe(header) == expected


def test_an_unknown_header_is_shown_as_sent() -> None:
    assert browser_and_os("totally unknown thing") == "totally unknown thing"
    assert browser_and_os(None) == ""
