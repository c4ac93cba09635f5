"""Geometry of the cycle chart (an SVG drawn on the server, as the audit charts are)."""

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 960, 200, 44, 12, 28


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    ok_y: float
    ok_height: float
    failed_y: float
    failed_height: float
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list
    ticks: list
    peak: int
    since: datetime
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: int = BOTTOM

    @property
    def base(self) -> float:
        return self.height - self.bottom

    @property
    def plot(self) -> float:
        return self.height - self.top - self.bottom


MIN_SPAN = timedelta(hours=6)


def build(cycles: list, since: datetime, until: datetime) -> Chart:
    """One bar per cycle at its start, as tall as its requests; failures stacked on top in red.

    The time axis starts an hour before the first cycle (at least six hours back, at most
    `since`), so a few recent cycles are not squeezed into the right edge of two days.
    """
    if cycles:
        since = max(since, min(cycles[0].start - timedelta(hours=1), until - MIN_SPAN))
    span = (until - since).total_seconds() or 1
    peak = max([c.requests for c in cycles] + [1])
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for c in cycles:
        x = LEFT + (c.start - since).total_seconds() / span * (WIDTH - LEFT)
        width = max(3.0, c.duration.total_seconds() / span * (WIDTH - LEFT))
        failed = c.failures / peak * plot
        ok = (c.requests - c.failures) / peak * plot
        base = HEIGHT - BOTTOM
        bars.append(Bar(round(x, 2), round(min(width, WIDTH - x), 2), round(base - ok, 2),
                        round(ok, 2), round(base - ok - failed, 2), round(failed, 2),
                        f"{c.start:%Y-%m-%d %H:%M} UTC: {c.requests} requests, "
                        f"{c.failures} failed"))
    return Chart(bars, _ticks(since, until, span), peak, since)


def _ticks(since: datetime, until: datetime, span: float) -> list[Tick]:
    hours = 6 if span > 24 * 3600 else (3 if span > 8 * 3600 else 1)
    step = timedelta(hours=hours)
    t = since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    out = []
    while t < until:
        if t.hour % (step.seconds // 3600) == 0:
            x = LEFT + (t - since).total_seconds() / span * (WIDTH - LEFT)
            out.append(Tick(round(x, 2), t.strftime("%H:00" if t.hour else "%a %d")))
        t += timedelta(hours=1)
    return out
