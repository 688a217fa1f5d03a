"""The transparency page: the public figures as accessible server-drawn SVG charts, each with a table and a CSV
that is safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.utils import timezone

from agencies.models import Officer
from tests.factories import OfficerFactory
from tests.support.builders import certify_officer, revoke_officer

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_page_draws_each_chart_as_an_accessible_svg_with_a_table_and_a_csv_link(client, registry_world):
    response = client.get("/transparency/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('role="img"') == 3 and body.count("<title id=") == 3 and body.count("<desc id=") == 3
    for slug in ("certified-agencies", "revocations", "by-state"):
        assert f'href="/transparency/{slug}.csv"' in body
        assert f'aria-labelledby="{slug}-caption" tabindex="0"' in body  # the scrolling table is labelled
    year = timezone.localdate().year
    assert f"Certified agencies by year: {year}: 1." in body  # the chart's description says the figures
    assert "<script" not in body


def test_headline_figures_match_the_public_metrics_api(client, anon_client, registry_world):
    metrics = anon_client.get("/api/v1/public/metrics/").json()
    body = client.get("/transparency/").content.decode()
    assert f'<span class="figure-number">{metrics["certified_agencies"]}</span> certified agencies' in body
    assert f'<span class="figure-number">{metrics["active_officers"]}</span> officers with an active' in body
    assert metrics["active_officers"] == 1 and metrics["certified_agencies"] == 1


def test_csvs_hold_the_table_figures(client, registry_world):
    year = str(timezone.localdate().year)
    agencies = client.get("/transparency/certified-agencies.csv")
    assert agencies["Content-Type"].startswith("text/csv")
    assert 'filename="peacecert-certified-agencies.csv"' in agencies["Content-Disposition"]
    assert rows(agencies)[0] == ["year", "as_of", "certified_agencies"]
    assert rows(agencies)[-1] == [year, timezone.localdate().isoformat(), "1"]
    assert rows(client.get("/transparency/revocations.csv")) == [["year", "revocations", "ineligible"],
                                                                 [year, "1", "0"]]
    assert rows(client.get("/transparency/by-state.csv")) == [
        ["state", "certified_agencies", "active_officers", "revocations"], ["CA", "1", "1", "1"]]
    assert client.get("/transparency/nothing.csv").status_code == 404


def test_by_state_counts_each_state_apart(client, registry_world, staff_user, staff2):
    ohio = OfficerFactory(agency__name="Columbus Division of Police", agency__state="OH", state="OH")
    certify_officer(ohio, staff_user)
    revoke_officer(ohio, staff_user, staff2)
    assert Officer.objects.filter(state="OH").count() == 1
    table = rows(client.get("/transparency/by-state.csv"))
    assert table[1:] == [["CA", "1", "1", "1"], ["OH", "0", "0", "1"]]


def test_csv_cells_cannot_become_spreadsheet_formulas(client, registry_world, staff_user):
    from agencies.models import Agency

    Agency.objects.filter(pk=registry_world["agency"].pk).update(state="=1")  # a hostile value in a cell
    table = rows(client.get("/transparency/by-state.csv"))
    assert table[1][0] == "'=1"


def test_chart_geometry_stays_in_the_plot_with_whole_number_ticks():
    from certification.transparency_pages import bar_chart

    states = [f"S{n:02d}" for n in range(50)]
    chart = bar_chart(chart_id="c", title="t", description="d", labels=states,
                      series=[{"name": "n", "values": list(range(50)), "css": "bar"}])
    assert chart["rotate_labels"] and len(chart["bars"]) == 50
    assert all(chart["left"] <= bar["x"] and bar["x"] + bar["width"] <= chart["right"] for bar in chart["bars"])
    assert all(bar["y"] >= 0 and bar["y"] + bar["height"] == pytest.approx(chart["baseline"], abs=0.2)
               for bar in chart["bars"])
    assert [tick["label"] for tick in chart["ticks"]] == ["0", "20", "40", "60", "80"]
    small = bar_chart(chart_id="c", title="t", description="d", labels=["2026"],
                      series=[{"name": "n", "values": [1], "css": "bar"}])
    assert [tick["label"] for tick in small["ticks"]] == ["0", "1", "2", "3", "4"] and not small["rotate_labels"]
