"""Server-rendered SVG charts for the reports page: the monthly trend of the share of targets met,
and the breakdown of one target kind's buckets per group.

Built with ``xml.etree.ElementTree``, so every label is escaped and the document is well formed.
Accessible: ``role="img"`` with ``aria-labelledby`` pointing at the chart's ``<title>`` and
``<desc>``; every point and bar carries its own ``<title>`` with the number; the page shows the same
numbers in tables. No ``style`` attribute and no script (the Content-Security-Policy allows
neither): colours and fonts come from classes in ``reports/reports.css``; only geometry is set here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from caredesk.reports.stats import KINDS, GroupRow, TrendPoint

SVG_NS = "http://www.w3.org/2000/svg"
KIND_LABELS = {"response": "Response", "restoration": "Restoration", "resolution": "Resolution"}
BAR_BUCKETS = (("met", "met"), ("breached", "breached"), ("running", "running"))


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, css: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {height}",
            "class": f"chart {css}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "id": chart_id,
            "preserveAspectRatio": "xMinYMin meet",
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = desc
    return svg


def _text(parent: ET.Element, x: float, y: float, text: str, css: str, anchor: str = "start") -> ET.Element:
    el = ET.SubElement(parent, "text", {"x": _num(x), "y": _num(y), "class": css, "text-anchor": anchor})
    el.text = text
    return el


def _render(svg: ET.Element) -> str:
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)


def _percent(share: float) -> str:
    return f"{share * 100:.1f}".removesuffix(".0") + " %"


def trend_chart(trend: Sequence[TrendPoint], *, goal_share: float, chart_id: str = "trend-chart") -> str:
    """A line per target kind: the share of decided targets met, month by month (0-100 %). A month
    with nothing decided has no point (the line breaks there). The restoration goal is a dashed line."""
    width, height = 720, 320
    left, right, top, bottom = 56, 150, 20, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    months = [p.label for p in trend]
    summary = []
    for kind in KINDS:
        shares = [p.targets[kind].share_met for p in trend]
        known = [s for s in shares if s is not None]
        summary.append(
            f"{KIND_LABELS[kind]}: "
            + (
                ", ".join(f"{m} {_percent(s)}" for m, s in zip(months, shares, strict=True) if s is not None)
                if known
                else "no decided targets"
            )
        )
    svg = _svg(
        chart_id,
        width,
        height,
        "Share of SLA targets met per month",
        f"Months {months[0]} to {months[-1]}. " + "; ".join(summary) + f". Restoration goal {_percent(goal_share)}."
        if months
        else "No months in the period.",
        "chart-trend",
    )

    def x_of(i: int) -> float:
        return left + (plot_w / 2 if len(trend) == 1 else i * plot_w / (len(trend) - 1))

    def y_of(share: float) -> float:
        return top + plot_h * (1 - share)

    grid = ET.SubElement(svg, "g", {"class": "chart-grid", "aria-hidden": "true"})
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick)
        ET.SubElement(grid, "line", {"x1": _num(left), "x2": _num(left + plot_w), "y1": _num(y), "y2": _num(y)})
        _text(grid, left - 8, y + 4, f"{int(tick * 100)} %", "chart-tick", "end")
    axis = ET.SubElement(svg, "g", {"class": "chart-axis", "aria-hidden": "true"})
    step = max(1, len(trend) // 12)
    for i, month in enumerate(months):
        if i % step == 0:
            _text(axis, x_of(i), height - bottom + 20, month, "chart-tick", "middle")
    goal_y = y_of(goal_share)
    goal = ET.SubElement(svg, "g", {"class": "chart-goal"})
    ET.SubElement(goal, "title").text = f"Restoration goal: {_percent(goal_share)}"
    ET.SubElement(goal, "line", {"x1": _num(left), "x2": _num(left + plot_w), "y1": _num(goal_y), "y2": _num(goal_y)})

    for kind in KINDS:
        series = ET.SubElement(svg, "g", {"class": f"chart-series series-{kind}"})
        ET.SubElement(series, "title").text = f"{KIND_LABELS[kind]} share met"
        run: list[str] = []
        runs: list[list[str]] = []
        for i, point in enumerate(trend):
            share = point.targets[kind].share_met
            if share is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{_num(x_of(i))},{_num(y_of(share))}")
        if run:
            runs.append(run)
        for points in runs:
            ET.SubElement(series, "polyline", {"points": " ".join(points), "class": "chart-line"})
        for i, point in enumerate(trend):
            stats = point.targets[kind]
            share = stats.share_met
            if share is None:
                continue
            dot = ET.SubElement(
                series, "circle", {"cx": _num(x_of(i)), "cy": _num(y_of(share)), "r": "4", "class": "chart-dot"}
            )
            ET.SubElement(
                dot, "title"
            ).text = (
                f"{point.label} {KIND_LABELS[kind].lower()}: {_percent(share)} met ({stats.met} of {stats.decided})"
            )

    legend = ET.SubElement(svg, "g", {"class": "chart-legend"})
    for i, kind in enumerate(KINDS):
        y = top + 14 + i * 22
        item = ET.SubElement(legend, "g", {"class": f"series-{kind}"})
        ET.SubElement(
            item,
            "line",
            {
                "x1": _num(width - right + 16),
                "x2": _num(width - right + 40),
                "y1": _num(y - 4),
                "y2": _num(y - 4),
                "class": "chart-line",
            },
        )
        _text(item, width - right + 46, y, KIND_LABELS[kind], "chart-legend-label")
    goal_item = ET.SubElement(legend, "g", {"class": "chart-goal"})
    y = top + 14 + 3 * 22
    ET.SubElement(
        goal_item,
        "line",
        {"x1": _num(width - right + 16), "x2": _num(width - right + 40), "y1": _num(y - 4), "y2": _num(y - 4)},
    )
    _text(goal_item, width - right + 46, y, f"Goal {_percent(goal_share)}", "chart-legend-label")
    return _render(svg)


def breakdown_chart(groups: Sequence[GroupRow], *, kind: str, chart_id: str = "breakdown-chart") -> str:
    """One horizontal bar per group: the ``kind`` targets met, breached and running, stacked, with
    the counts written on the bars and the share met at the end."""
    if kind not in KINDS:
        raise ValueError(f"unknown target kind {kind!r}")
    label_w, bar_w, share_w = 220, 420, 90
    row_h, top, legend_h = 28, 12, 30
    width = label_w + bar_w + share_w
    height = top + max(1, len(groups)) * row_h + legend_h + 8
    maximum = max((g.targets[kind].met + g.targets[kind].breached + g.targets[kind].running for g in groups), default=0)
    desc_rows = []
    for g in groups:
        s = g.targets[kind]
        share = "no decided targets" if s.share_met is None else f"{_percent(s.share_met)} met"
        desc_rows.append(f"{g.label}: {s.met} met, {s.breached} breached, {s.running} running ({share})")
    svg = _svg(
        chart_id,
        width,
        height,
        f"{KIND_LABELS[kind]} targets per group",
        "; ".join(desc_rows) + "." if desc_rows else "No cases in the period.",
        "chart-breakdown",
    )
    if not groups:
        _text(svg, width / 2, top + row_h / 2 + 4, "No cases in the period", "chart-empty", "middle")
    for index, group in enumerate(groups):
        stats = group.targets[kind]
        y = top + index * row_h
        row = ET.SubElement(svg, "g", {"class": "chart-row"})
        label = group.label if len(group.label) <= 30 else group.label[:29] + "…"
        _text(row, label_w - 8, y + row_h / 2 + 4, label, "chart-label", "end")
        x = float(label_w)
        for bucket, css in BAR_BUCKETS:
            count = getattr(stats, bucket)
            if not count or not maximum:
                continue
            w = bar_w * count / maximum
            rect = ET.SubElement(
                row,
                "rect",
                {"x": _num(x), "y": _num(y + 4), "width": _num(w), "height": _num(row_h - 8), "class": f"bar-{css}"},
            )
            ET.SubElement(rect, "title").text = f"{group.label}: {count} {bucket}"
            if w >= 22:
                _text(row, x + w / 2, y + row_h / 2 + 4, str(count), f"chart-count bar-{css}-count", "middle")
            x += w
        share = "\u2013" if stats.share_met is None else _percent(stats.share_met)
        _text(row, label_w + bar_w + 8, y + row_h / 2 + 4, share, "chart-share")
    legend = ET.SubElement(svg, "g", {"class": "chart-legend"})
    ly = top + max(1, len(groups)) * row_h + 18
    for i, (bucket, css) in enumerate(BAR_BUCKETS):
        lx = label_w + i * 110
        ET.SubElement(
            legend, "rect", {"x": _num(lx), "y": _num(ly - 10), "width": "12", "height": "12", "class": f"bar-{css}"}
        )
        _text(legend, lx + 18, ly, bucket, "chart-legend-label")
    _text(legend, label_w + bar_w + 8, ly, "share met", "chart-legend-label")
    return _render(svg)
