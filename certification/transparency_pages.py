"""The transparency page: the public figures as server-drawn SVG charts (no script), each with a table and a CSV.

Charts are small SVG templates (templates/includes/bar_chart.svg.html) fed with geometry computed here: no chart
library and no JavaScript, so the page works under the site's strict content-security policy and reads the same to
a screen reader (role="img", <title>, <desc>, and a data table for each chart)."""

import csv
import io

from django.http import Http404, HttpResponse
from django.shortcuts import render

from .pages import _throttled
from .public_apis import _csv_safe
from .selectors import public_site

WIDTH, BAR_AREA_TOP, BAR_AREA_HEIGHT, LEFT, RIGHT = 480, 20, 180, 44, 8


def _nice_max(value: int) -> int:
    """The axis top: a round number at or above the peak that splits into four whole-number steps."""
    for exponent in range(12):
        for step in (1, 2, 3, 5):
            top = 4 * step * 10 ** exponent
            if value <= top:
                return top
    return value


def bar_chart(*, chart_id: str, title: str, description: str, labels: list[str], series: list[dict]) -> dict:
    """Geometry of a grouped bar chart: `series` is [{"name": ..., "values": [...], "css": "bar"}]."""
    peak = max([v for s in series for v in s["values"]] or [0])
    top = _nice_max(peak)
    groups = max(len(labels), 1)
    plot_width = WIDTH - LEFT - RIGHT
    group_width = plot_width / groups
    bar_width = min(48.0, group_width * 0.7 / max(len(series), 1))
    baseline = BAR_AREA_TOP + BAR_AREA_HEIGHT
    bars, ticks = [], []
    for index, label in enumerate(labels):
        group_left = LEFT + index * group_width + (group_width - bar_width * len(series)) / 2
        for position, s in enumerate(series):
            value = s["values"][index]
            height = BAR_AREA_HEIGHT * value / top if top else 0
            x = group_left + position * bar_width
            bars.append({"x": round(x, 1), "y": round(baseline - height, 1), "width": round(bar_width - 2, 1),
                         "height": round(height, 1), "value": value, "css": s["css"], "series": s["name"],
                         "label": label, "text_x": round(x + (bar_width - 2) / 2, 1),
                         "text_y": round(baseline - height - 4, 1)})
    for step in range(5):
        value = top * step / 4
        y = baseline - BAR_AREA_HEIGHT * step / 4
        ticks.append({"y": round(y, 1), "label": f"{value:g}", "text_y": round(y + 4, 1)})
    axis_labels = [{"x": round(LEFT + (i + 0.5) * group_width, 1), "text": label} for i, label in enumerate(labels)]
    rotate = len(labels) > 12  # many groups (states): slanted labels, values only in the table
    return {"id": chart_id, "title": title, "description": description, "width": WIDTH,
            "height": baseline + (44 if rotate else 30),
            "baseline": baseline, "left": LEFT, "right": WIDTH - RIGHT, "bars": bars, "ticks": ticks,
            "axis_labels": axis_labels, "series": series, "label_y": baseline + 20,
            "rotate_labels": rotate}


def _metrics() -> dict:
    """Each downloadable metric: its heading, columns and rows (the table and the CSV show the same)."""
    over_time = public_site.public_certified_agencies_over_time()
    by_state = public_site.public_figures_by_state()
    revocations = public_site.public_revocations_per_year()
    return {
        "certified-agencies": {
            "title": "Certified agencies over time",
            "columns": [("year", "Year"), ("as_of", "As of"), ("certified_agencies", "Certified agencies")],
            "rows": over_time,
        },
        "revocations": {
            "title": "Revocations per year",
            "columns": [("year", "Year"), ("revocations", "Certifications revoked"),
                        ("ineligible", "Never certified, made permanently ineligible")],
            "rows": revocations,
        },
        "by-state": {
            "title": "Figures by state",
            "columns": [("state", "State"), ("certified_agencies", "Certified agencies"),
                        ("active_officers", "Officers with an active certification"),
                        ("revocations", "Officers revoked or made permanently ineligible")],
            "rows": by_state,
        },
    }


def _describe(rows: list[dict], key: str, label_key: str, noun: str) -> str:
    if not rows:
        return f"No {noun} yet."
    parts = [f"{r[label_key]}: {r[key]}" for r in rows]
    return f"{noun.capitalize()}: " + "; ".join(parts) + "."


def transparency(request):
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    metrics = _metrics()
    over_time = metrics["certified-agencies"]["rows"]
    revocations = metrics["revocations"]["rows"]
    by_state = metrics["by-state"]["rows"]
    charts = {
        "certified-agencies": bar_chart(
            chart_id="chart-certified-agencies", title="Certified agencies at the end of each year",
            description=_describe(over_time, "certified_agencies", "year", "certified agencies by year"),
            labels=[str(r["year"]) for r in over_time],
            series=[{"name": "Certified agencies", "values": [r["certified_agencies"] for r in over_time],
                     "css": "bar"}]),
        "revocations": bar_chart(
            chart_id="chart-revocations", title="Revocations per year",
            description=_describe(revocations, "revocations", "year", "certifications revoked by year"),
            labels=[str(r["year"]) for r in revocations],
            series=[{"name": "Certifications revoked", "values": [r["revocations"] for r in revocations],
                     "css": "bar-2"}]),
        "by-state": bar_chart(
            chart_id="chart-by-state", title="Officers with an active certification, by state",
            description=_describe(by_state, "active_officers", "state", "active certified officers by state"),
            labels=[r["state"] for r in by_state],
            series=[{"name": "Active certified officers", "values": [r["active_officers"] for r in by_state],
                     "css": "bar"}]),
    }
    sections = [{"slug": slug, "chart": charts[slug], **metric} for slug, metric in metrics.items()]
    return render(request, "certification/transparency.html",
                  {"figures": public_site.public_transparency_figures(), "sections": sections})


def transparency_csv(request, metric: str):
    metrics = _metrics() if metric in ("certified-agencies", "revocations", "by-state") else {}
    if metric not in metrics:
        raise Http404("No such figure.")
    if _throttled(request):
        return HttpResponse("Too many requests; please wait a minute.", status=429, content_type="text/plain")
    columns = metrics[metric]["columns"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([key for key, _ in columns])
    for row in metrics[metric]["rows"]:
        writer.writerow([_csv_safe(row[key].isoformat() if hasattr(row[key], "isoformat") else row[key])
                         for key, _ in columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="peacecert-{metric}.csv"'
    return response
