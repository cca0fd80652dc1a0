from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from chat.validators import normalise_origin, validate_origin_list


@pytest.mark.parametrize(
    ("written", "sent_by_browsers"),
    [
        ("https://shop.example", "https://shop.example"),
        ("https://shop.example/", "https://shop.example"),
        ("  HTTPS://Shop.Example  ", "https://shop.example"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://shop.example:443", "https://shop.example"),
        ("http://shop.example:80", "http://shop.example"),
        ("http://shop.example:443", "http://shop.example:443"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://[0:0:0:0:0:0:0:1]", "http://[::1]"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_normalise_origin_gives_what_a_browser_sends(written: str, sent_by_browsers: str) -> None:
    assert normalise_origin(written) == sent_by_browsers


@pytest.mark.parametrize(
    ("written", "code", "says"),
    [
        ("localhost:8791/shop", "scheme", "must start with http:// or https://"),
        ("shop.example", "scheme", "must start with http:// or https://"),
        ("ftp://shop.example", "scheme", "must start with http:// or https://"),
        ("https://shop.example/shop", "path", "must not have a path, query or fragment"),
        ("https://shop.example//", "path", "must not have a path"),
        ("https://shop.example?x=1", "path", "must not have a path"),
        ("https://shop.example#top", "path", "must not have a path"),
        ("https://ann:pw@shop.example", "userinfo", "user name or password"),
        ("https://ann@shop.example", "userinfo", "user name or password"),
        ("https://*.shop.example", "wildcard", "wildcards are not supported"),
        ("*", "wildcard", "wildcards are not supported"),
        ("https://shop.example:0", "port", "from 1 to 65535"),
        ("https://shop.example:65536", "port", "from 1 to 65535"),
        ("https://shop.example:http", "port", "from 1 to 65535"),
        ("https://", "host", "the host is not valid"),
        ("https://shop example", "host", "the host is not valid"),
        ("https://-shop.example", "host", "the host is not valid"),
        ("https://shop..example", "host", "the host is not valid"),
        ("http://[::1", "host", "the host is not valid"),
        ("http://[fe80::1%eth0]", "host", "the host is not valid"),
    ],
)
def test_what_is_not_an_origin_is_refused_with_the_reason(
    written: str, code: str, says: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        normalise_origin(written)
    assert refused.value.code == code
    [message] = refused.value.messages
    assert message.startswith(f'"{written.strip()}": ') and says in message


def test_a_list_reports_every_bad_line_by_number_and_accepts_blank_lines() -> None:
    value = "\n".join(
        [
            "https://shop.example",
            "",
            "localhost:8791/shop",
            "HTTPS://SHOP.example/",
            "https://www.shop.example",
            "https://*.shop.example",
            "https://www.shop.example:443",
        ]
    )
    with pytest.raises(ValidationError) as refused:
        validate_origin_list(value)
    assert [(e.code, e.message) for e in refused.value.error_list] == [
        (
            "scheme",
            'Line 3, "localhost:8791/shop": must start with http:// or https:// '
            "(an origin is scheme://host[:port], e.g. https://shop.example.com)",
        ),
        ("duplicate", 'Line 4, "HTTPS://SHOP.example/": listed twice (same as line 1)'),
        (
            "wildcard",
            'Line 6, "https://*.shop.example": wildcards are not supported; list each origin',
        ),
        ("duplicate", 'Line 7, "https://www.shop.example:443": listed twice (same as line 5)'),
    ]


@pytest.mark.parametrize(
    "value", ["", "\n \n", "https://shop.example\nhttp://localhost:8000\nhttp://127.0.0.1:8000"]
)
def test_valid_lists_pass(value: str) -> None:
    validate_origin_list(value)
