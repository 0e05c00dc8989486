"""The timeline as an inline SVG drawn on the server: claims per month, a line per place.

Presentation attributes only (no style attribute), so the page's Content-Security-Policy
(`style-src 'self'`) has nothing to refuse.
"""

from __future__ import annotations

from html import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf"]
WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 40


def months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def svg(series: dict[str, dict[str, int]]) -> str:
    """Grouped bars, a bar per place in each month; an empty string when no claim is dated to a
    month. Bars, not lines: a month alone (a seed of one article) is still seen."""
    every = sorted({m for counts in series.values() for m in counts})
    if not every:
        return ""
    months = months_between(every[0], every[-1])
    peak = max(max(counts.values(), default=0) for counts in series.values()) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(months)
    bar = max(0.5, step * 0.8 / max(1, len(series)))
    parts = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="Claims per month by country">',
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
             'stroke="#888"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888"/>',
             f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" font-size="11">{peak}</text>',
             f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>']
    label_every = max(1, len(months) // 8)
    for index, month in enumerate(months):
        if index % label_every == 0:
            parts.append(f'<text x="{LEFT + (index + 0.5) * step:.1f}" '
                         f'y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                         f'font-size="11">{month}</text>')
    for number, (label, counts) in enumerate(series.items()):
        colour = COLOURS[number % len(COLOURS)]
        for index, month in enumerate(months):
            count = counts.get(month, 0)
            if not count:
                continue
            height = count / peak * plot_h
            x = LEFT + index * step + step * 0.1 + number * bar
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
                         f'width="{bar:.1f}" height="{height:.1f}" fill="{colour}">'
                         f'<title>{escape(label)} {month}: {count}</title></rect>')
        legend_x = LEFT + number * 110
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 16}" width="10" height="10" '
                     f'fill="{colour}"/><text x="{legend_x + 14}" y="{HEIGHT - 7}" '
                     f'font-size="11">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
