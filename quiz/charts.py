"""Chart geometry for server-drawn inline SVG: pure Python, no Django.

Templates draw what these return; every bar and cell carries its own
tooltip text, and every chart its title and axis labels.
"""

import datetime as dt
import html
import math
from dataclasses import dataclass, field
from typing import NamedTuple

PLOT_LEFT = 52  # room for "100%" and, left of it, the rotated axis title
PLOT_TOP = 12
PLOT_BOTTOM = 40
PLOT_RIGHT = 8
# Tick labels are 11 px system-ui; this is a generous average glyph width,
# so labels judged to fit never touch.
CHAR_WIDTH = 6.6
LABEL_GAP = 6
SLANT_DEGREES = 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    tooltip: str
    css_class: str = "bar"


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


class Series(NamedTuple):
    """One set of bars: its CSS class, its name (legend and tooltips) and
    one value per label; `one` is the name after a count of 1 ("1 card")."""

    css_class: str
    name: str
    values: list[int | float]
    one: str | None = None

    def noun(self, value: int | float) -> str:
        return self.one if value == 1 and self.one else self.name


@dataclass(frozen=True)
class BarChart:
    title: str
    x_label: str
    y_label: str
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, text)
    # Labels too long for their slot are slanted, anchored at their tick.
    slanted: bool = False
    bottom_margin: int = PLOT_BOTTOM

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom_margin

    @property
    def slant_angle(self) -> int:
        return -SLANT_DEGREES

    @property
    def plot_left(self) -> int:
        return PLOT_LEFT

    @property
    def plot_right(self) -> int:
        return self.width - PLOT_RIGHT

    @property
    def x_label_y(self) -> int:
        return self.height - 4

    @property
    def y_label_x(self) -> int:
        return 12

    @property
    def y_label_y(self) -> float:
        return PLOT_TOP + (self.plot_bottom - PLOT_TOP) / 2


def nice_step(peak: float, *, ticks: int = 4) -> int:
    """A whole, round gridline step (1, 2 or 5 times a power of ten) that
    reaches `peak` in at most `ticks` steps: every gridline then sits at
    exactly the whole number its label says."""
    if peak <= ticks:
        return 1
    magnitude = 10 ** int(math.log10(peak / ticks))
    for multiple in (1, 2, 5, 10):
        step = multiple * magnitude
        if step * ticks >= peak:
            return step
    return 10 * magnitude


def text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def bar_chart(
    *,
    title: str,
    x_label: str,
    y_label: str,
    labels: list[str],
    series: list[Series | tuple],
    tooltip_labels: list[str] | None = None,
    label_every: int = 1,
    # Drawn about as wide as a phone or a grid column shows it, so 11-unit
    # text stays near 11 px: a 640-wide chart on a 390 px phone drew 6 px.
    width: int = 420,
    height: int = 220,
    grouped: bool = False,
    y_max: int | None = None,
    unit: str = "",
) -> BarChart:
    """Bars per label, stacked, or side by side when `grouped`."""
    series = [Series(*each) for each in series]
    if grouped:
        peak = max((max(each.values, default=0) for each in series), default=0)
    else:
        peak = max((sum(each.values[i] for each in series) for i in range(len(labels))), default=0)
    if y_max:
        step = y_max // 4
    else:
        step = nice_step(peak)
    steps = 4 if y_max else max(1, math.ceil(peak / step))
    top = step * steps
    plot_width = width - PLOT_LEFT - PLOT_RIGHT
    slot = plot_width / max(1, len(labels))
    shown = [label for index, label in enumerate(labels) if index % label_every == 0]
    longest = max((text_width(label) for label in shown), default=0)
    slanted = longest + LABEL_GAP > slot * label_every
    bottom_margin = PLOT_BOTTOM
    if slanted:
        # The slanted label's drop below the axis, plus room for the axis title.
        drop = longest * math.sin(math.radians(SLANT_DEGREES)) + 8
        bottom_margin = math.ceil(drop) + 26
        height += bottom_margin - PLOT_BOTTOM
    plot_height = height - PLOT_TOP - bottom_margin
    group_width = max(1.0, slot * 0.78)
    bar_width = group_width / len(series) if grouped else group_width
    bars: list[Bar] = []
    tooltip_labels = tooltip_labels or labels
    for index in range(len(labels)):
        base = PLOT_TOP + plot_height
        for number, each in enumerate(series):
            value = each.values[index]
            if value <= 0:
                continue
            x = PLOT_LEFT + index * slot + (slot - group_width) / 2 + (number * bar_width if grouped else 0)
            bar_height = plot_height * value / top
            y = base - bar_height
            if not grouped:
                base = y
            bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(y, 1),
                    width=round(bar_width, 1),
                    height=round(bar_height, 1),
                    tooltip=f"{tooltip_labels[index]}: {value}{unit} {each.noun(value)}",
                    css_class=each.css_class,
                )
            )
    x_ticks = [
        Tick(round(PLOT_LEFT + index * slot + slot / 2, 1), label)
        for index, label in enumerate(labels)
        if index % label_every == 0
    ]
    y_ticks = [
        Tick(round(PLOT_TOP + plot_height * (1 - n / steps), 1), f"{n * step}{unit}") for n in range(steps + 1)
    ]
    legend = [(each.css_class, each.name) for each in series] if len(series) > 1 else []
    return BarChart(
        title, x_label, y_label, width, height, bars, x_ticks, y_ticks, legend, slanted=slanted, bottom_margin=bottom_margin
    )


@dataclass(frozen=True)
class HeatCell:
    x: int
    y: int
    day: dt.date
    count: int
    level: int
    is_today: bool

    @property
    def tooltip(self) -> str:
        noun = "review" if self.count == 1 else "reviews"
        return f"{self.day:%a %-d %b %Y}: {self.count} {noun}"


@dataclass(frozen=True)
class Heatmap:
    title: str
    width: int
    height: int
    cells: list[HeatCell]
    month_labels: list[Tick]
    weekday_labels: list[Tick]
    total: int
    active_days: int
    busiest: HeatCell | None

    def cells_markup(self) -> str:
        """The day cells as SVG, built here: 371 cells through the template
        engine cost more than every query on the statistics page."""
        return "".join(
            f'<rect class="heat heat-{cell.level}{" heat-today" if cell.is_today else ""}" '
            f'x="{cell.x}" y="{cell.y}" width="{CELL}" height="{CELL}" rx="2" '
            f'data-day="{cell.day.isoformat()}" data-count="{cell.count}">'
            f"<title>{html.escape(cell.tooltip)}{' (today)' if cell.is_today else ''}</title></rect>"
            for cell in self.cells
        )


CELL = 11
GAP = 2
HEAT_LEFT = 28
HEAT_TOP = 16
# A month starting in the last column needs its three letters to fit too.
HEAT_RIGHT = 3 * CELL


def heatmap(counts: dict[dt.date, int], *, today: dt.date, weeks: int = 53) -> Heatmap:
    """One cell per day for the last year, Monday-first columns, today marked."""
    start = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    peak = max(counts.values(), default=0)
    cells: list[HeatCell] = []
    month_labels: list[Tick] = []
    day = start
    while day <= today:
        column = (day - start).days // 7
        count = counts.get(day, 0)
        level = 0 if count == 0 else max(1, math.ceil(4 * count / peak))
        cells.append(
            HeatCell(
                x=HEAT_LEFT + column * (CELL + GAP),
                y=HEAT_TOP + day.weekday() * (CELL + GAP),
                day=day,
                count=count,
                level=level,
                is_today=day == today,
            )
        )
        if day.day == 1 or day == start:
            if not month_labels or column * (CELL + GAP) + HEAT_LEFT - month_labels[-1].position > 3 * CELL:
                month_labels.append(Tick(HEAT_LEFT + column * (CELL + GAP), f"{day:%b}"))
        day += dt.timedelta(days=1)
    weekday_labels = [Tick(HEAT_TOP + row * (CELL + GAP) + CELL - 2, name) for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"))]
    active = [cell for cell in cells if cell.count]
    return Heatmap(
        title="Reviews per day, last 12 months",
        width=HEAT_LEFT + (weeks - 1) * (CELL + GAP) + HEAT_RIGHT,
        height=HEAT_TOP + 7 * (CELL + GAP),
        cells=cells,
        month_labels=month_labels,
        weekday_labels=weekday_labels,
        total=sum(cell.count for cell in cells),
        active_days=len(active),
        busiest=max(active, key=lambda cell: cell.count, default=None),
    )
