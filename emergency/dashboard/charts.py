"""The board's ECharts options, built in Python with the reader's words (the script only draws
them): ranked bars of the confirmed share, the funnel, the curve against the start time. `dark`
is the wall screen's palette."""
from __future__ import annotations

GREEN, AMBER, RED, BLUE, GREY = "#2e7d32", "#f9a825", "#c62828", "#1565c0", "#90a4ae"
# The wall screen is read from across a room: bigger type.
DARK = {"text": "#e3e9f0", "muted": "#8fa3b8", "split": "#2a3a4d", "track": "#1f2d3d",
        "green": "#43a047", "amber": "#fbc02d", "red": "#ef5350", "blue": "#42a5f5", "size": 16}
LIGHT = {"text": "#37474f", "muted": "#78909c", "split": "#eceff1", "track": "#eef1f4",
         "green": GREEN, "amber": AMBER, "red": RED, "blue": BLUE, "size": 12}
FUNNEL = ("notified", "reached", "acknowledged", "confirmed")


def palette(dark: bool) -> dict:
    return DARK if dark else LIGHT


def ranked_chart(rows: list[dict], key: str, t, dark: bool) -> dict:
    """Horizontal bars of the confirmed share per town (or industry), the best at the top, each
    labelled with its share and counts and coloured by how far it has come."""
    colours = palette(dark)
    ranked = sorted(rows, key=lambda r: (_ratio(r), r["enterprises"], str(r[key])))
    data = [{"value": round(100 * _ratio(r), 1), "itemStyle": {"color": _colour(_ratio(r), colours)},
             "label": {"formatter": f"{100 * _ratio(r):.0f}% · {r['confirmed']:,}/{r['enterprises']:,}"}}
            for r in ranked]
    return {
        "backgroundColor": "transparent", "textStyle": {"color": colours["text"]}, "animationDurationUpdate": 600,
        "grid": {"left": 4, "right": 8 * colours["size"] + 8, "top": 4, "bottom": 4, "containLabel": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}, "formatter": "{b}: {c}%"},
        "xAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"show": False},
                  "splitLine": {"lineStyle": {"color": colours["split"]}}},
        "yAxis": {"type": "category", "data": [r[key] or t("dashboard.unknown") for r in ranked],
                  "axisTick": {"show": False}, "axisLine": {"show": False},
                  "axisLabel": {"color": colours["text"], "fontSize": colours["size"],
                                "width": 6 * colours["size"] + 24, "overflow": "truncate"}},
        "series": [{"type": "bar", "name": t("dashboard.chart.confirmed_share"), "data": data, "barMaxWidth": 22,
                    "showBackground": True, "backgroundStyle": {"color": colours["track"]},
                    "label": {"show": True, "position": "right", "color": colours["text"],
                              "fontSize": colours["size"]}}],
    }


def funnel_chart(doc: dict, t, dark: bool) -> dict:
    """Notified → reached → acknowledged → confirmed, each as a share of the notified."""
    colours = palette(dark)
    total = doc["enterprises"]
    values = dict(zip(FUNNEL, (total, doc["reached"], doc["acknowledged"], doc["confirmed"])))
    fills = dict(zip(FUNNEL, (GREY, colours["blue"], colours["amber"], colours["green"])))
    data = [{"name": t(f"dashboard.funnel.{key}"), "value": value, "itemStyle": {"color": fills[key]},
             "label": {"formatter": f"{t(f'dashboard.funnel.{key}')}  {value:,}"
                                    + (f" · {100 * value / total:.0f}%" if total else "")}}
            for key, value in values.items()]
    return {
        "backgroundColor": "transparent", "textStyle": {"color": colours["text"]}, "animationDurationUpdate": 600,
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
        # minSize: the narrow end still holds its label (the widths stay in order, not to scale below it)
        "series": [{"type": "funnel", "sort": "none", "min": 0, "max": max(total, 1), "minSize": "42%",
                    "left": "4%", "right": "4%", "top": 8, "bottom": 8, "gap": 3, "data": data,
                    "label": {"show": True, "position": "inside", "color": "#fff", "fontWeight": "bold",
                              "fontSize": colours["size"] + 1, "textBorderWidth": 0}}],
    }


def curve_chart(curve: dict, doc: dict, t, dark: bool) -> dict:
    """Cumulative receipts and confirmations since the notice, against the start time (a line)."""
    colours = palette(dark)
    total = doc["enterprises"]
    start = ({"symbol": "none", "silent": True, "lineStyle": {"color": colours["red"], "type": "dashed", "width": 2},
              "label": {"formatter": t("dashboard.chart.start", time=curve["start_time"]), "color": colours["red"],
                        "fontSize": colours["size"]},
              "data": [{"xAxis": curve["start"]}]} if curve.get("start") else None)
    series = [_line(t("dashboard.chart.confirmed"), curve["confirmed"], colours["green"], start),
              _line(t("dashboard.chart.acknowledged"), curve["acknowledged"], colours["blue"], None)]
    return {
        "backgroundColor": "transparent", "textStyle": {"color": colours["text"]}, "animationDurationUpdate": 600,
        "legend": {"top": 0, "textStyle": {"color": colours["text"], "fontSize": colours["size"]}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 5 * colours["size"], "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "boundaryGap": False, "data": curve["labels"],
                  "axisLabel": {"color": colours["muted"], "fontSize": colours["size"], "hideOverlap": True},
                  "axisLine": {"lineStyle": {"color": colours["split"]}}},
        "yAxis": {"type": "value", "min": 0, "max": total or None, "minInterval": 1,
                  "axisLabel": {"color": colours["muted"], "fontSize": colours["size"]},
                  "splitLine": {"lineStyle": {"color": colours["split"]}}},
        "series": series,
    }


def _line(name: str, data: list, colour: str, mark: dict | None) -> dict:
    line = {"type": "line", "name": name, "data": data, "showSymbol": False, "color": colour,
            "lineStyle": {"width": 3}, "areaStyle": {"opacity": 0.12}}
    return line | ({"markLine": mark} if mark else {})


def _ratio(row: dict) -> float:
    return row["confirmed"] / row["enterprises"] if row["enterprises"] else 0.0


def _colour(ratio: float, colours: dict) -> str:
    return colours["green"] if ratio >= 0.9 else colours["amber"] if ratio >= 0.6 else colours["red"]
