"""Simple bar charts drawn on the server as SVG geometry for the dashboard's templates (no script, no CDN).

The template (admin/backoffice/includes/bar_chart.html) draws each bar as a <rect> with the numbers
computed here and a <title> a screen reader and a mouse hover both get; colours come from static CSS.
"""

from dataclasses import dataclass

WIDTH, HEIGHT, PAD_BOTTOM, PAD_TOP = 600, 160, 18, 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    show_label: bool
    label_x: float


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    max_text: str
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = HEIGHT - PAD_BOTTOM


def bar_chart(title: str, points: list[tuple[str, float | None]], *, percent: bool = False) -> BarChart:
    """Bars for (label, value) pairs; None counts as 0. Percent values are fractions (0.5 = 50 %)."""
    values = [value or 0 for _label, value in points]
    top = max([*values, 1.0 if percent else 1])
    slot = WIDTH / max(len(points), 1)
    usable = HEIGHT - PAD_BOTTOM - PAD_TOP
    every = max(1, len(points) // 12)  # at most ~12 axis labels, however long the range

    def text(value: float) -> str:
        return f"{value * 100:.0f}%" if percent else (f"{value:,.2f}" if value % 1 else f"{value:,.0f}")

    bars = []
    for index, ((label, _value), value) in enumerate(zip(points, values, strict=True)):
        height = usable * value / top if top else 0
        bars.append(Bar(x=round(index * slot + slot * 0.1, 2), y=round(HEIGHT - PAD_BOTTOM - height, 2),
                        width=round(slot * 0.8, 2), height=round(height, 2), label=label, value_text=text(value),
                        show_label=index % every == 0, label_x=round(index * slot + slot / 2, 2)))
    return BarChart(title=title, bars=bars, max_text=text(top))
