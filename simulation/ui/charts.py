"""ECharts options for the app's charts (rendered by :func:`simulation.ui.widgets.EChart`).

ECharts is served by the local install (``solara-assets`` ships ``echarts@5.4.0``), so the
charts render with no internet; they show values on hover, and each has a toolbox button that
saves it as a PNG.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Okabe-Ito colours (distinguishable with colour-blindness) and a line pattern per structure,
# so no pair of structures is told apart by red vs green alone.
COLORS = {
    "hierarchy": "#D55E00", "siloed_social": "#E69F00", "network": "#0072B2",
    "podular": "#009E73", "open": "#CC79A7",
}
DASHES = {
    "hierarchy": "solid", "siloed_social": [8, 4], "network": [2, 3],
    "podular": [10, 3, 2, 3], "open": [4, 2],
}
MPL_DASHES = {"hierarchy": "-", "siloed_social": "--", "network": ":", "podular": "-.",
              "open": (0, (4, 2))}

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


def band_option(metric: str, title: str, bands: pd.DataFrame, steps: int, shocks: list[dict],
                y_name: str = "", provisional: str = "") -> dict:
    """Mean line per structure with its pointwise t-band (``bands`` from
    :func:`simulation.analysis.statistics.band`), shocks as vertical markers."""
    series, values = [], []
    for number, (structure, group) in enumerate(bands.groupby("structure", sort=False)):
        steps_list = group["step"].astype(np.int64).tolist()
        mean, low, high = (group[c].to_numpy(dtype=float) for c in ("mean", "low", "high"))
        values.append(np.concatenate((mean, low, high)))
        color = COLORS.get(structure)
        entry = {
            "name": structure, "type": "line", "showSymbol": False,
            "data": _points(steps_list, mean),
            "lineStyle": {"width": 2, "type": DASHES.get(structure, "solid")},
            "color": color, "animation": False, "connectNulls": False, "z": 3,
        }
        if number == 0 and shocks:
            entry["markLine"] = _shock_marks(shocks)
        series.append(entry)
        if np.isfinite(low).any():
            # The band: an invisible line at the low end, and the width stacked on it.
            width = np.round(np.round(high, 5) - np.round(low, 5), 6)
            stack = f"band-{structure}"
            common = {"type": "line", "stack": stack, "showSymbol": False, "silent": True,
                      "animation": False, "tooltip": {"show": False},
                      "lineStyle": {"opacity": 0}, "color": color}
            series.append({**common, "name": structure, "data": _points(steps_list, low)})
            series.append({**common, "name": structure, "areaStyle": {"opacity": 0.18},
                           "data": _points(steps_list, width)})
    values = np.concatenate(values) if values else np.array([])
    return _step_chart(metric, f"{title} {provisional}".strip(), steps, y_name, values, series,
                       {"trigger": "axis"})


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
            "lineStyle": {"width": 2, "type": DASHES.get(structure, "solid")},
            "color": COLORS.get(structure), "animation": False, "connectNulls": False,
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


def charts_png(frames: dict[str, pd.DataFrame], shocks: list[dict]) -> bytes:
    """All the compare charts in one PNG (matplotlib), for the export button."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = -(-len(CHARTS) // 3)
    figure = Figure(figsize=(12, 3.75 * rows), dpi=110, layout="constrained")
    axes = figure.subplots(rows, 3).ravel()
    for ax in axes[len(CHARTS):]:
        figure.delaxes(ax)  # gone, not hidden: figure.axes is one per chart
    for ax, (metric, title, y_name) in zip(axes[:len(CHARTS)], CHARTS, strict=True):
        for structure, frame in frames.items():
            if metric in frame.columns:
                ax.plot(frame["step"], frame[metric], label=structure,
                        color=COLORS.get(structure), lw=1.5,
                        ls=MPL_DASHES.get(structure, "-"))
        for shock in shocks:
            ax.axvline(shock["step"], color="#555", ls="--", lw=1)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("step")
        ax.set_ylabel(y_name, fontsize=8)
    axes[0].legend(fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


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
