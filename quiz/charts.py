"""Chart geometry for server-drawn inline SVG: pure Python, no Django.

Templates draw what these return; every bar and cell carries its own
tooltip text, and every chart its title and axis labels.
"""

import datetime as dt
import html
import math
from dataclasses import dataclass, field

PLOT_LEFT = 44
PLOT_TOP = 12
PLOT_BOTTOM = 40
PLOT_RIGHT = 8


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

    @property
    def plot_bottom(self) -> int:
        return self.height - PLOT_BOTTOM

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
        return PLOT_TOP + (self.height - PLOT_BOTTOM - PLOT_TOP) / 2


def nice_max(value: int) -> int:
    """A round axis maximum at or above `value`."""
    if value <= 4:
        return 4
    magnitude = 10 ** int(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = int(step * magnitude)
        if candidate >= value:
            return candidate
    return value


def bar_chart(
    *,
    title: str,
    x_label: str,
    y_label: str,
    labels: list[str],
    series: list[tuple[str, str, list[int]]],
    tooltip_labels: list[str] | None = None,
    label_every: int = 1,
    width: int = 640,
    height: int = 220,
    grouped: bool = False,
    y_max: int | None = None,
    unit: str = "",
) -> BarChart:
    """Bars per label: `series` is [(css class, name, values per label)],
    stacked, or side by side when `grouped`."""
    if grouped:
        peak = max((max(values, default=0) for _, _, values in series), default=0)
    else:
        peak = max((sum(values[i] for _, _, values in series) for i in range(len(labels))), default=0)
    top = y_max or nice_max(peak)
    plot_width = width - PLOT_LEFT - PLOT_RIGHT
    plot_height = height - PLOT_TOP - PLOT_BOTTOM
    slot = plot_width / max(1, len(labels))
    group_width = max(1.0, slot * 0.78)
    bar_width = group_width / len(series) if grouped else group_width
    bars: list[Bar] = []
    tooltip_labels = tooltip_labels or labels
    for index in range(len(labels)):
        base = PLOT_TOP + plot_height
        for number, (css_class, name, values) in enumerate(series):
            value = values[index]
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
                    tooltip=f"{tooltip_labels[index]}: {value}{unit} {name}",
                    css_class=css_class,
                )
            )
    x_ticks = [
        Tick(round(PLOT_LEFT + index * slot + slot / 2, 1), label)
        for index, label in enumerate(labels)
        if index % label_every == 0
    ]
    y_ticks = [Tick(round(PLOT_TOP + plot_height * (1 - step / 4), 1), f"{top * step // 4}{unit}") for step in range(5)]
    legend = [(css_class, name) for css_class, name, _ in series] if len(series) > 1 else []
    return BarChart(title, x_label, y_label, width, height, bars, x_ticks, y_ticks, legend)


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
        width=HEAT_LEFT + weeks * (CELL + GAP),
        height=HEAT_TOP + 7 * (CELL + GAP),
        cells=cells,
        month_labels=month_labels,
        weekday_labels=weekday_labels,
        total=sum(cell.count for cell in cells),
        active_days=len(active),
        busiest=max(active, key=lambda cell: cell.count, default=None),
    )
