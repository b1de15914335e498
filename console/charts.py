"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable when printed.

Every label goes through markupsafe's escape, since agency and commune names come from data operators edit.
Each chart carries a <title> for screen readers; the overview page also shows the numbers as a table.
"""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#a50e0e"
BAR_ALT = "#d9822b"
AXIS = "#555"


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def hbar_chart(items: Sequence[tuple[str, float]], title: str, *, width: int = 460, bar_h: int = 20,
               label_w: int = 190, highlight: set[str] | None = None) -> Markup:
    """Horizontal bars, one per (label, value), in the given order."""
    highlight = highlight or set()
    height = max(1, len(items)) * (bar_h + 6) + 30
    top = max((v for _, v in items), default=0) or 1
    span = width - label_w - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    if not items:
        parts.append(f'<text x="10" y="20" fill="{AXIS}">Chưa có dữ liệu</text>')
    for i, (label, value) in enumerate(items):
        y = 10 + i * (bar_h + 6)
        w = max(1.0, span * value / top) if value else 0
        colour = BAR_ALT if label in highlight else BAR
        shown = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h * 0.7:.0f}" text-anchor="end" font-size="13">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
            f"<title>{escape(label)}: {escape(_fmt(value))}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.0f}" font-size="13">{escape(_fmt(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(items: Sequence[tuple[str, float]], title: str, *, width: int = 640, height: int = 200) -> Markup:
    """Vertical columns over time (e.g. petitions per week), labels under each column."""
    n = max(1, len(items))
    top = max((v for _, v in items), default=0) or 1
    plot_h = height - 50
    slot = (width - 40) / n
    col_w = max(4.0, slot * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>',
        f'<line x1="30" y1="{plot_h + 10}" x2="{width - 5}" y2="{plot_h + 10}" stroke="{AXIS}"/>',
    ]
    if not items:
        parts.append(f'<text x="40" y="40" fill="{AXIS}">Chưa có dữ liệu</text>')
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = 35 + i * slot
        y = plot_h + 10 - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {escape(_fmt(value))}</title></rect>"
            f'<text x="{x + col_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="11">'
            f"{escape(_fmt(value))}</text>"
            f'<text x="{x + col_w / 2:.1f}" y="{plot_h + 26}" text-anchor="middle" font-size="10">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
