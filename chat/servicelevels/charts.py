"""Charts drawn on the server as SVG: no script, no build step, readable without colour
(each bar and cell carries its figure in a <title>, and the tables beside them say the
same)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import pgettext, pgettext_lazy

WIDTH = 720
HEIGHT = 200
PAD = 28
DAYS = (
    pgettext_lazy("weekday", "Mon"),
    pgettext_lazy("weekday", "Tue"),
    pgettext_lazy("weekday", "Wed"),
    pgettext_lazy("weekday", "Thu"),
    pgettext_lazy("weekday", "Fri"),
    pgettext_lazy("weekday", "Sat"),
    pgettext_lazy("weekday", "Sun"),
)


def bar_chart(bars: Sequence[tuple[str, float]], *, label: str, unit: str = "") -> SafeString:
    """Vertical bars, one per (label, value); the tallest fills the height."""
    top = max((value for _, value in bars), default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(bars), 1)
    every = max(1, len(bars) // 12)  # at most about a dozen axis labels
    parts = []
    for n, (name, value) in enumerate(bars):
        height = (HEIGHT - 2 * PAD) * value / top
        x = PAD + n * step
        parts.append(
            format_html(
                '<rect class="bar" fill="#4f46e5" x="{}" y="{}" '
                'width="{}" height="{}">'
                "<title>{}: {}{}</title></rect>",
                _n(x + step * 0.1),
                _n(HEIGHT - PAD - height),
                _n(step * 0.8),
                _n(height),
                name,
                _figure(value),
                unit,
            )
        )
        if n % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                    _n(x + step / 2),
                    HEIGHT - PAD + 14,
                    name,
                )
            )
    return _svg(
        label,
        SafeString("".join(parts)),
        pgettext("chart", "max %(value)s") % {"value": f"{_figure(top)}{unit}"},
    )


def heatmap(grid: Sequence[Sequence[int]], *, label: str) -> SafeString:
    """Seven rows (Monday first) of 24 hourly cells, darker for more."""
    top = max((max(row) for row in grid), default=0) or 1
    cell_w = (WIDTH - 2 * PAD - 10) / 24
    cell_h = (HEIGHT - 2 * PAD) / 7
    parts = []
    for day, row in enumerate(grid):
        parts.append(
            format_html(
                '<text x="2" y="{}" font-size="10">{}</text>',
                _n(PAD + day * cell_h + cell_h * 0.7),
                DAYS[day],
            )
        )
        for hour, value in enumerate(row):
            parts.append(
                format_html(
                    '<rect class="cell" fill="#4f46e5" x="{}" y="{}" '
                    'width="{}" height="{}" '
                    'fill-opacity="{}"><title>{} {}:00: {}</title></rect>',
                    _n(PAD + 10 + hour * cell_w),
                    _n(PAD + day * cell_h),
                    _n(cell_w - 1),
                    _n(cell_h - 1),
                    f"{0.06 + 0.94 * value / top:.2f}",
                    DAYS[day],
                    f"{hour:02d}",
                    value,
                )
            )
    hours = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
        ((_n(PAD + 10 + h * cell_w + cell_w / 2), HEIGHT - PAD + 14, h) for h in range(0, 24, 3)),
    )
    return _svg(
        label,
        SafeString("".join(parts) + hours),
        pgettext("chart", "max %(value)s") % {"value": top},
    )


def _n(value: float) -> str:
    return f"{value:.1f}"


def _figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _svg(label: str, body: SafeString, note: str) -> SafeString:
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" fill="#374151">'
        '<text x="{}" y="14" font-size="11">{} ({})</text>{}</svg>',
        label,
        WIDTH,
        HEIGHT,
        PAD,
        label,
        note,
        body,
    )
