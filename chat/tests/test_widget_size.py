"""The embeddable widget stays small: script and styles at most 10 KB gzipped."""

from __future__ import annotations

import gzip
from pathlib import Path

WIDGET_DIR = Path(__file__).resolve().parents[2] / "static" / "chat"
BUDGET_BYTES = 10 * 1024


def test_widget_is_at_most_10_kb_gzipped() -> None:
    # The styles live inside widget.js; a widget.css, if one appears, counts too.
    files = [
        path for path in (WIDGET_DIR / "widget.js", WIDGET_DIR / "widget.css") if path.exists()
    ]
    assert files, "static/chat/widget.js is missing"
    raw = b"".join(path.read_bytes() for path in files)
    gz = len(gzip.compress(raw, compresslevel=9))
    print(f"{' + '.join(path.name for path in files)}: {len(raw)} bytes, {gz} bytes gzipped")
    assert gz <= BUDGET_BYTES, (
        f"the widget is {gz} bytes gzipped, over the {BUDGET_BYTES}-byte budget"
    )
