"""Charts rendered on the server as SVG by matplotlib: one code path for the page, the printout and the PDF.

Text stays text in the SVG (``svg.fonttype = none``) in Noto Sans CJK, so Chinese labels are sharp, searchable
and legible when printed; nothing is fetched from anywhere. Every chart is black, greys, markers and dash
patterns, so it survives a black-and-white printer; the page puts the numbers in a table beside it. No Flask.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot anywhere: no display on a server

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "DejaVu Sans"]
STYLE: Any = {  # matplotlib types its keys as literals; these are checked at run time
    "svg.fonttype": "none",
    "svg.hashsalt": "evaluation",  # the same chart, the same SVG
    "font.family": "sans-serif",
    "font.sans-serif": FONTS,
    "font.size": 9,
    "axes.edgecolor": "#333333",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
}
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DASHES = ["-", "--", ":", "-."]
GREYS = ["#000000", "#555555", "#888888", "#aaaaaa"]


STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')
STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)


def _as_attributes(match: re.Match[str]) -> str:
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in pairs)


def _presentation_attributes(svg: str) -> str:
    """Inline ``style`` turned into SVG presentation attributes: the pages' Content-Security-Policy allows no
    inline style (it would leave every shape filled black), and attributes mean the same to every renderer."""
    return STYLE_ATTRIBUTE.sub(_as_attributes, STYLE_ELEMENT.sub("", svg))


def _svg(fig: Figure, title: str) -> str:
    """The figure as an inline SVG element that scales with its container, titled for screen readers."""
    buffer = io.StringIO()
    with warnings.catch_warnings():  # a machine without the CJK fonts still draws; the browser supplies them
        warnings.simplefilter("ignore")
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    svg = _presentation_attributes(buffer.getvalue())
    svg = svg[svg.index("<svg") :]
    svg = re.sub(
        r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1class="chart" role="img"', svg, count=1
    )
    safe = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return svg.replace(">", f"><title>{safe}</title>", 1)


@contextmanager
def _drawing() -> Iterator[None]:
    """Our style, and matplotlib's warnings kept out of the logs (a chart of one column, a missing glyph)."""
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height))  # bbox_inches="tight" fits the labels when saved


def interval_chart(
    labels: Sequence[str],
    values: Sequence[float],
    intervals: Sequence[tuple[float, float] | None],
    *,
    title: str,
    xlabel: str,
    hollow: Sequence[bool] | None = None,
) -> str:
    """One row per label, best first: the value as a dot and its interval as a bar (hollow: not ranked)."""
    with _drawing():
        fig = _figure(7.0, max(1.6, 0.28 * len(labels) + 0.8))
        ax = fig.add_subplot()
        rows = list(range(len(labels)))[::-1]
        spans = [(row, iv) for row, iv in zip(rows, intervals, strict=True) if iv is not None]
        if spans:
            ax.hlines(
                [row for row, _ in spans],
                [iv[0] for _, iv in spans],
                [iv[1] for _, iv in spans],
                color="#555555",
                linewidth=2.2,
            )
        empty = list(hollow or [False] * len(labels))
        for face, wanted in (("#000000", False), ("white", True)):
            points = [(v, row) for v, row, e in zip(values, rows, empty, strict=True) if e is wanted]
            if points:
                ax.plot(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    linestyle="none",
                    marker="o",
                    markersize=5,
                    color="#000000",
                    markerfacecolor=face,
                )
        ax.set_yticks(rows, labels)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        ax.set_axisbelow(True)
        return _svg(fig, title)


def trend_chart(
    periods: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str, ylabel: str
) -> str:
    """Lines over time, each in its own marker and dash pattern, with a legend."""
    with _drawing():
        fig = _figure(7.0, 2.8)
        ax = fig.add_subplot()
        x = list(range(len(periods)))
        for i, (name, values) in enumerate(series.items()):
            points = [(px, v) for px, v in zip(x, values, strict=True) if v is not None]
            if not points:
                continue
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                label=name,
                color=GREYS[i % len(GREYS)],
                linestyle=DASHES[i % len(DASHES)],
                marker=MARKERS[i % len(MARKERS)],
                markersize=4,
                linewidth=1.2,
            )
        ax.set_xticks(x, periods)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#dddddd", linewidth=0.5)
        if len(series) > 1:
            ax.legend(frameon=False, fontsize=8)
        return _svg(fig, title)


def heat_map(
    rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]], *, title: str
) -> str:
    """A grid in greys (darker: lower), each cell carrying its number; an empty cell is left white."""
    with _drawing():
        fig = _figure(min(9.0, 1.6 + 0.75 * len(columns)), max(1.6, 0.3 * len(rows) + 1.0))
        ax = fig.add_subplot()
        grid = [[float("nan") if v is None else v for v in row] for row in values]
        ax.imshow(grid, cmap="Greys_r", vmin=0, vmax=4, aspect="auto")
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                if value is not None:
                    ink = "white" if value < 2 else "black"
                    ax.text(c, r, f"{value:.2f}", ha="center", va="center", color=ink, fontsize=7)
        ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), rows)
        ax.spines[:].set_visible(False)
        return _svg(fig, title)
