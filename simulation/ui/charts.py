"""ECharts options for the app's charts (rendered by :func:`simulation.ui.widgets.EChart`).

ECharts is served by the local install (``solara-assets`` ships ``echarts@5.4.0``), so the
charts render with no internet; they show values on hover, and each has a toolbox button that
saves it as a PNG.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import registry
from simulation.analysis.report import (  # noqa: F401 - re-exported for the app's pages
    FEW_REPLICATES,
    METRIC_BOUNDS,
    band_note,
    clip_band,
)


def colour(structure: str) -> str:
    """The structure's line colour (declared with it in the registry: Okabe-Ito colours)."""
    return registry.colour(structure)


def dash(structure: str):
    """The structure's ECharts line type: "solid" or its dash pattern."""
    pattern = registry.get("structure", structure).dash
    return list(pattern) if pattern else "solid"


def mpl_dash(structure: str):
    """The structure's matplotlib line style."""
    pattern = registry.get("structure", structure).dash
    return (0, pattern) if pattern else "-"


#: (metric column, chart title, y-axis name) of the compare page's live charts.
CHARTS = (
    ("market_share", "Market share", "share of active customers buying"),
    ("cumulative_profit", "Cumulative profit", "revenue less every cost, summed"),
    ("fitness", "Fitness (normalised)", "fitness"),
    ("satisfaction", "Satisfaction", "mean satisfaction of buyers"),
    ("sentiment", "Sentiment", "mean sentiment (-1 to 1)"),
    ("decision_latency", "Decision latency", "steps from proposal to decision"),
    ("largest_queue", "Congestion (largest queue)", "messages waiting"),
)


def _clean(values) -> list:
    """Values rounded to 5 decimals for JSON, NaN and infinities as None (gaps)."""
    array = np.asarray(values, dtype=float)
    out = np.round(array, 5).tolist()
    for index in np.flatnonzero(~np.isfinite(array)):
        out[index] = None
    return out


def _points(steps: list[int], values) -> list:
    """``[[step, value], ...]`` with :func:`_clean` values."""
    return list(map(list, zip(steps, _clean(values), strict=True)))


def _y_range(values) -> dict:
    """Axis bounds that show a constant line (ECharts collapses a zero range)."""
    array = np.asarray(values, dtype=float)
    finite = array[np.isfinite(array)]
    if not finite.size:
        return {}
    low, high = float(finite.min()), float(finite.max())
    if high - low > 1e-9 * max(1.0, abs(high)):
        return {}
    pad = max(abs(high) * 0.1, 0.5)
    return {"min": round(low - pad, 6), "max": round(high + pad, 6)}


def chart_json(option: dict) -> str:
    """An option as the JSON text the chart widget sends (made once, however many pages show
    it: :class:`simulation.ui.cache.SharedViews`)."""
    import json

    return json.dumps(option, separators=(",", ":"), allow_nan=False)


def band_option(metric: str, title: str, bands: pd.DataFrame, steps: int, shocks: list[dict],
                y_name: str = "", provisional: str = "") -> dict:
    """Mean line per structure with its pointwise 95% t-band, clipped to the metric's range
    (``bands`` from :func:`chart_bands`), shocks as vertical markers; the subtitle says what
    the band is, over how many runs, and whether it was clipped (:func:`band_note`).

    Every series has an ``id``: the page updates a chart with ECharts' ``replaceMerge``, which
    matches new series to old ones by id, else by name (the mean and its band share the
    structure's name, so one legend entry shows or hides both).

    The band is one ``custom`` series whose data are ``[step, low, high]`` rows, drawn by the
    page's chart widget (:data:`simulation.ui.widgets.ECHART_VUE`) as a filled polygon from
    the low to the high bound, one polygon per stretch without gaps. It was drawn before as an
    invisible low line with the width stacked on it; ECharts stacks ``[x, y]`` points on a
    value axis wrongly (the width was drawn from 0, or over another point), so the shading
    showed neither bound of the interval.
    """
    series, values, clipped_any = [], [], False
    replicates = int(bands["n"].max()) if "n" in bands.columns and len(bands) else 0
    for number, (structure, group) in enumerate(bands.groupby("structure", sort=False)):
        steps_list = group["step"].astype(np.int64).tolist()
        mean = group["mean"].to_numpy(dtype=float)
        low, high = group["low"].to_numpy(dtype=float), group["high"].to_numpy(dtype=float)
        clipped_any |= bool(group["clipped"].any()) if "clipped" in group else False
        values.append(np.concatenate((mean, low, high)))
        color = colour(structure)
        entry = {
            "id": f"{structure}-mean", "name": structure, "type": "line", "showSymbol": False,
            "data": _points(steps_list, mean),
            "lineStyle": {"width": 2, "type": dash(structure)},
            "color": color, "animation": False, "connectNulls": False, "z": 3,
        }
        if number == 0 and shocks:
            entry["markLine"] = _shock_marks(shocks)
        series.append(entry)
        if np.isfinite(low).any():
            rows = [[step, lo, hi] for step, lo, hi in
                    zip(steps_list, _clean(low), _clean(high), strict=True)]
            series.append({
                "id": f"{structure}-band", "name": structure, "type": "custom",
                "firmsimBand": True, "data": rows, "encode": {"x": 0, "y": [1, 2]},
                "color": color, "silent": True, "tooltip": {"show": False},
                "animation": False, "z": 2,
            })
    values = np.concatenate(values) if values else np.array([])
    option = _step_chart(metric, f"{title} {provisional}".strip(), steps, y_name, values,
                         series, {"trigger": "axis"})
    if replicates:
        option["title"]["subtext"] = band_note(metric, replicates, clipped_any)
        option["title"]["subtextStyle"] = {"fontSize": 10}
        option["title"]["itemGap"] = 2
        option["legend"]["top"] = 36
        option["grid"]["top"] = 70
    return option


def line_option(metric: str, title: str, frames: dict[str, pd.DataFrame], steps: int,
                shocks: list[dict], y_name: str = "") -> dict:
    """A line per structure of ``metric`` against the step, shocks as vertical markers."""
    series, values = [], []
    for number, (structure, frame) in enumerate(frames.items()):
        if metric in frame.columns:
            column = frame[metric].to_numpy(dtype=float)
            data = _points(frame["step"].astype(np.int64).tolist(), column)
            values.append(column)
        else:
            data = []
        entry = {
            "name": structure, "type": "line", "showSymbol": False, "data": data,
            "lineStyle": {"width": 2, "type": dash(structure)},
            "color": colour(structure), "animation": False, "connectNulls": False,
        }
        if number == 0 and shocks:
            entry["markLine"] = _shock_marks(shocks)
        series.append(entry)
    return _step_chart(metric, title, steps, y_name,
                       np.concatenate(values) if values else np.array([]), series,
                       {"trigger": "axis", "valueFormatter": None})


def _step_chart(metric: str, title: str, steps: int, y_name: str, values: np.ndarray,
                series: list, tooltip: dict) -> dict:
    """The frame both chart builders share: a step axis, a y-axis that shows a constant
    line, a legend, hover values and a PNG button."""
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": tooltip,
        "legend": {"top": 24, "type": "scroll"},
        "grid": {"left": 64, "right": 20, "top": 60, "bottom": 40},
        "toolbox": {"feature": {"saveAsImage": {"title": "PNG", "pixelRatio": 2,
                                                "name": f"firmsim-{metric}"}}},
        "xAxis": {"type": "value", "min": 0, "max": max(int(steps) - 1, 1), "name": "step",
                  "nameLocation": "middle", "nameGap": 24},
        "yAxis": {"type": "value", "scale": True, "name": y_name, "nameLocation": "middle",
                  "nameGap": 40, "nameTextStyle": {"fontSize": 10}, **_y_range(values)},
        "series": series,
        "animation": False,
    }


ROLE_LABELS = ("frontline", "manager", "marketing", "pod member", "hub")


def org_option(view, color_by: str, title: str) -> dict:
    """The organization as a graph, nodes coloured by workload or queue length."""
    values = view.queue if color_by == "queue" else view.workload
    high = float(view.queue_limit if color_by == "queue" else max(view.capacity, 1))
    nodes = []
    for i, (x, y) in enumerate(view.positions):
        alive = bool(view.alive[i])
        role = ROLE_LABELS[int(view.role[i])] if int(view.role[i]) < len(ROLE_LABELS) else "?"
        big = role in ("manager", "hub")
        node = {
            "name": f"{i} {role}", "x": float(x) * 1000, "y": float(y) * 600,
            "value": round(float(values[i]), 3) if alive else None,
            "symbolSize": 12 if big else 7,
        }
        if not alive:
            node["itemStyle"] = {"color": "#ddd", "borderColor": "#aaa"}
            node["name"] += " (left)"
        nodes.append(node)
    links = [{"source": int(a), "target": int(b)} for a, b in view.edges
             if view.alive[int(a)] and view.alive[int(b)]]
    label = "queue length" if color_by == "queue" else "workload"
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"formatter": "{b}: {c}"},
        "toolbox": {"feature": {"saveAsImage": {"title": "PNG", "pixelRatio": 2,
                                                "name": "firmsim-organization"}}},
        "visualMap": {"min": 0, "max": high, "calculable": True, "orient": "horizontal",
                      "left": "center", "bottom": 0, "text": [f"high {label}", "0"],
                      "inRange": {"color": ["#e0f3db", "#fdae61", "#d7191c"]},
                      "seriesIndex": 0},
        "series": [{
            "type": "graph", "layout": "none", "roam": True, "data": nodes, "links": links,
            "lineStyle": {"color": "#999", "opacity": 0.5, "width": 0.7},
            "emphasis": {"focus": "adjacency"}, "animation": False,
        }],
        "animation": False,
    }


def customer_option(view, title: str) -> dict:
    """A sample of the customer network, nodes coloured by sentiment (-1 orange to 1 blue)."""
    nodes = []
    for i, (x, y) in enumerate(view.positions):
        nodes.append({
            "name": f"customer {int(view.nodes[i])}" + (" (buying)" if view.buying[i] else ""),
            "x": float(x) * 1000, "y": float(y) * 600,
            "value": round(float(view.sentiment[i]), 3),
            "symbolSize": 9 if view.buying[i] else 6,
        })
    links = [{"source": int(a), "target": int(b)} for a, b in view.edges]
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"formatter": "{b}: sentiment {c}"},
        "toolbox": {"feature": {"saveAsImage": {"title": "PNG", "pixelRatio": 2,
                                                "name": "firmsim-customers"}}},
        "visualMap": {"min": -1, "max": 1, "calculable": True, "orient": "horizontal",
                      "left": "center", "bottom": 0, "text": ["positive", "negative"],
                      # orange to blue: readable without telling red from green
                      "inRange": {"color": ["#b35806", "#f7f7f7", "#2166ac"]},
                      "seriesIndex": 0},
        "series": [{
            "type": "graph", "layout": "none", "roam": True, "data": nodes, "links": links,
            "lineStyle": {"color": "#bbb", "opacity": 0.6, "width": 0.7},
            "emphasis": {"focus": "adjacency"}, "animation": False,
        }],
        "animation": False,
    }


def chart_bands(long: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The band table a chart of ``metric`` is drawn from: mean and 95% t-interval per
    structure and step over the replicates of ``long`` (the downloadable time series), the
    interval clipped to what the metric can take (:func:`clip_band`; ``clipped`` marks the
    rows where it was). Empty (with the columns) when ``long`` has no such column."""
    from simulation.analysis.statistics import band

    columns = ["structure", "step", "n", "mean", "half_width", "low", "high", "clipped"]
    if metric not in long.columns or not len(long):
        return pd.DataFrame(columns=columns)
    table = band(long, metric)
    # The page lists structures in the order they were chosen, not alphabetically.
    order = {name: index for index, name in enumerate(pd.unique(long["structure"]))}
    table = table.sort_values(["structure", "step"], key=lambda column: column.map(
        order) if column.name == "structure" else column, kind="stable")
    low, high, _ = clip_band(metric, table["low"], table["high"])
    with np.errstate(invalid="ignore"):
        clipped = (low != table["low"].to_numpy()) | (high != table["high"].to_numpy())
    return table.assign(low=low, high=high, clipped=clipped & np.isfinite(low)).reset_index(
        drop=True)[columns]


def charts_png(long: pd.DataFrame, shocks: list[dict], steps: int) -> bytes:
    """:func:`charts_figure` as PNG bytes (the export button)."""
    import io

    buffer = io.BytesIO()
    charts_figure(long, shocks, steps).savefig(buffer, format="png")
    return buffer.getvalue()


def charts_figure(long: pd.DataFrame, shocks: list[dict], steps: int):
    """The compare charts as the page shows them (a matplotlib Figure): per structure the
    mean over the replicates, its 95% t-band clipped to the metric's range
    (:func:`chart_bands`, the same table the screen's charts are drawn from), the shocks as
    dashed lines, and each chart's subtitle saying what the band is."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = -(-len(CHARTS) // 3)
    figure = Figure(figsize=(13, 4.25 * rows), dpi=110, layout="constrained")
    axes = figure.subplots(rows, 3).ravel()
    for ax in axes[len(CHARTS):]:
        figure.delaxes(ax)  # gone, not hidden: figure.axes is one per chart
    for ax, (metric, title, y_name) in zip(axes[:len(CHARTS)], CHARTS, strict=True):
        bands = chart_bands(long, metric)
        for structure, group in bands.groupby("structure", sort=False):
            color = colour(structure)
            ax.plot(group["step"], group["mean"], label=structure, color=color, lw=1.5,
                    ls=mpl_dash(structure))
            ax.fill_between(group["step"], group["low"], group["high"], color=color,
                            alpha=0.18, lw=0)
        for shock in shocks:
            ax.axvline(shock["step"], color="#555", ls="--", lw=1)
        replicates = int(bands["n"].max()) if len(bands) else 0
        note = band_note(metric, replicates, bool(bands["clipped"].any())) if replicates else ""
        ax.set_title(f"{title}\n{note}", fontsize=10)
        ax.set_xlim(0, max(int(steps) - 1, 1))
        ax.set_xlabel("step")
        ax.set_ylabel(y_name, fontsize=8)
    axes[0].legend(fontsize=8)
    return figure


def combined_frame(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every structure's time series in one long table (a ``structure`` column first)."""
    parts = []
    for structure, frame in frames.items():
        part = frame.copy()
        part.insert(0, "structure", structure)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["structure", "step"])
    return pd.concat(parts, ignore_index=True)


def _shock_marks(shocks) -> dict:
    """Dashed vertical lines at the shocks, labelled with their kind (ECharts markLine)."""
    return {
        "symbol": "none", "silent": False, "animation": False,
        "lineStyle": {"type": "dashed", "color": "#555"},
        "label": {"formatter": "{b}", "position": "insideEndTop", "fontSize": 10},
        "data": [{"name": s["kind"], "xAxis": int(s["step"])} for s in shocks],
    }
