"""The report's figures as SVG (matplotlib): echo timeline, counts over time with upticks, the network.

Text in the figures is drawn as paths (svg.fonttype "path"), so an untrusted channel name can never become
SVG markup; labels are written in a Latin form (`latin_label`) because matplotlib does not shape Arabic.
Figures are deterministic (fixed hash salt, no date metadata) so a re-run gives the same bytes.
"""

from __future__ import annotations

import io
import math
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

_STYLE = {"svg.fonttype": "path", "svg.hashsalt": "echoscope", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


def latin_label(*candidates: str | None, limit: int = 32) -> str:
    """The first candidate matplotlib can draw legibly, shortened: one with no right-to-left letters, its
    emoji and other symbols beyond the fonts' reach dropped."""
    for candidate in candidates:
        if not candidate or any(0x0590 <= ord(char) <= 0x08FF or 0xFB1D <= ord(char) <= 0xFDFF or 0xFE70 <= ord(char) <= 0xFEFF for char in candidate):
            continue
        drawable = " ".join("".join(char for char in candidate if ord(char) < 0x2000).split())
        if any(char.isalnum() for char in drawable):
            return drawable if len(drawable) <= limit else drawable[: limit - 1] + "…"
    return "?"


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def echo_timeline(cascades: list[dict]) -> str:
    """One row per cascade: the origin (filled) and each echo (open) on a time axis, joined by a line.
    `cascades`: [{"label": str, "origin": datetime, "echoes": [datetime, …]}]."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(8, 0.45 * len(cascades) + 1.2))
        for row, cascade in enumerate(reversed(cascades)):
            times = [cascade["origin"], *cascade["echoes"]]
            axes.plot(times, [row] * len(times), color="#999999", linewidth=1, zorder=1)
            axes.scatter([cascade["origin"]], [row], color="#d62728", s=36, zorder=2, label="origin" if row == 0 else None)
            axes.scatter(cascade["echoes"], [row] * len(cascade["echoes"]), facecolors="white", edgecolors="#1f77b4", s=30, zorder=2,
                         label="echo" if row == 0 else None)
        axes.set_yticks(range(len(cascades)), [cascade["label"] for cascade in reversed(cascades)])
        axes.set_ylim(-0.7, len(cascades) - 0.3)
        _date_axis(axes)
        axes.set_xlabel("post date (UTC)")
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2, frameon=False)
        return _svg(figure)


def _date_axis(axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def counts_over_time(series: dict[str, list[tuple[datetime, int]]], upticks: list[tuple[datetime, datetime]], title: str,
                     first: datetime, last: datetime) -> str:
    """Daily counts per series from `first` to `last` (days without posts at zero); uptick periods shaded."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(8, 3))
        for index, (label, points) in enumerate(series.items()):
            points = _every_day(points, first, last)
            axes.plot([day for day, _ in points], [count for _, count in points], color=PALETTE[index % len(PALETTE)],
                      linewidth=1.4, marker="o", markersize=2.5, label=label)
        for first, last in upticks:
            axes.axvspan(first, last + timedelta(days=1), color="#ffcc00", alpha=0.3, linewidth=0)
        axes.set_title(title)
        axes.set_ylabel("posts per day")
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        _date_axis(axes)
        axes.legend(loc="upper left", frameon=False, fontsize=8)
        return _svg(figure)


def _every_day(points: list[tuple[datetime, int]], first: datetime, last: datetime) -> list[tuple[datetime, int]]:
    """Days without posts drawn as zero, not bridged by the line."""
    present = dict(points)
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    filled = []
    while day <= last:
        filled.append((day, present.get(day, 0)))
        day += timedelta(days=1)
    return filled


def network(nodes: list[dict], edges: list[tuple[int, int, float]]) -> str:
    """Channels as points on a circle per community, edges by weight; colour = community, label = name
    and affiliation. `nodes`: [{"id", "label", "community"}]; `edges`: (id, id, weight)."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(7, 6))
        positions = _layout(nodes)
        heaviest = max((weight for _, _, weight in edges), default=1.0)
        for source, target, weight in edges:
            (x1, y1), (x2, y2) = positions[source], positions[target]
            axes.plot([x1, x2], [y1, y2], color="#888888", linewidth=0.5 + 3 * weight / heaviest, alpha=0.6, zorder=1)
        communities = sorted({node["community"] for node in nodes}, key=lambda value: (value is None, value))
        for index, community in enumerate(communities):
            members = [node for node in nodes if node["community"] == community]
            colour = PALETTE[index % len(PALETTE)] if community is not None else "#cccccc"
            axes.scatter([positions[node["id"]][0] for node in members], [positions[node["id"]][1] for node in members], s=120,
                         color=colour, zorder=2, label=f"community {community}" if community is not None else "no community")
        for node in nodes:
            x, y = positions[node["id"]]
            axes.annotate(node["label"], (x, y), textcoords="offset points", xytext=(0, 9), ha="center", fontsize=7)
        axes.set_axis_off()
        axes.legend(loc="lower right", frameon=False, fontsize=8)
        return _svg(figure)


def _layout(nodes: list[dict]) -> dict[int, tuple[float, float]]:
    """Communities placed around a large circle, their members around a small one: readable, deterministic."""
    groups: dict = {}
    for node in nodes:
        groups.setdefault(node["community"], []).append(node["id"])
    positions = {}
    for index, members in enumerate(groups.values()):
        angle = 2 * math.pi * index / max(len(groups), 1)
        centre = (3 * math.cos(angle), 3 * math.sin(angle)) if len(groups) > 1 else (0.0, 0.0)
        for position, member in enumerate(members):
            inner = 2 * math.pi * position / len(members)
            radius = 1.0 if len(members) > 1 else 0.0
            positions[member] = (centre[0] + radius * math.cos(inner), centre[1] + radius * math.sin(inner))
    return positions
