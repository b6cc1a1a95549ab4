"""The reports API and pages: the JSON, the CSV and the page show the same numbers as the selectors,
scoped by role; requests are validated; the SVG charts are well-formed, accessible and need no
inline style; a hostile account name is escaped in the page and defused in the CSV."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from typing import Any

import pytest
from django.test import Client

from caredesk.cases import services
from caredesk.reports import selectors
from caredesk.reports.charts import breakdown_chart, trend_chart
from caredesk.reports.stats import GroupRow, TargetStats, TrendPoint
from caredesk.tenancy import services as tenancy_services
from caredesk.tenancy.models import User
from tests.conftest import ApiClient, World, case_payload
from tests.integration.reports_support import PERIOD, ReportCases, drive_report_cases, ny

pytestmark = pytest.mark.django_db

QS = f"from={PERIOD[0]}&to={PERIOD[1]}"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def cases(world: World) -> ReportCases:
    return drive_report_cases(world)


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def as_selector_sees_it(user: User, body: dict[str, Any], group_by: str = "package") -> dict[str, Any]:
    now = datetime.fromisoformat(body["generated_at"])
    query = selectors.report_query(
        today=now.date(), start=date.fromisoformat(PERIOD[0]), end=date.fromisoformat(PERIOD[1]), group_by=group_by
    )
    return selectors.sla_report_for_actor(actor=user, query=query, now=now).to_json()


# --------------------------------------------------------------------------- JSON


def test_json_report_is_the_selectors_report(world: World, cases: ReportCases) -> None:
    dc = world.a.dcs[0]
    r = world.client(dc).get(f"/api/reports/sla?{QS}&group_by=package")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body == as_selector_sees_it(dc, body)
    assert (body["from"], body["to"], body["group_by"]) == (*PERIOD, "package")
    assert body["restoration_goal_share"] == 0.95
    # Numbers that do not depend on the instant of the request (every response is decided).
    response = body["totals"]["targets"]["response"]
    assert (response["met"], response["breached"], response["share_met"]) == (6, 2, 0.75)
    assert (response["median_hours"], response["p90_hours"]) == (1.0, 23.65)
    assert [p["month"] for p in body["trend"]] == ["2026-09", "2026-10"]
    assert {(g["package"], g["severity"]) for g in body["restoration_goal"]} == {
        ("care_for_cloud", 2),
        ("care_for_cloud", 3),
        ("business_care_for_cloud", 2),
        ("business_care_for_cloud", 3),
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("a_dc", {"Reseller Alpha": 8}),
        ("a_staff", {"Reseller Alpha": 8}),
        ("b_dc", {"Reseller Zephyrine": 1}),
        ("agent", {"Reseller Alpha": 8, "Reseller Zephyrine": 1}),
        ("admin", {"Reseller Alpha": 8, "Reseller Zephyrine": 1}),
        ("csm", {"Reseller Alpha": 8, "Reseller Zephyrine": 1}),
    ],
)
def test_json_report_is_scoped_to_what_the_role_may_see(
    world: World, cases: ReportCases, who: str, expected: dict[str, int]
) -> None:
    user = {
        "a_dc": world.a.dcs[0],
        "a_staff": world.a.staff,
        "b_dc": world.b.dcs[0],
        "agent": world.agent,
        "admin": world.admin,
        "csm": world.csm,
    }[who]
    body = world.client(user).get(f"/api/reports/sla?{QS}&group_by=reseller").json()
    assert {g["label"]: g["cases"] for g in body["groups"]} == expected


def test_a_reseller_filtering_by_another_tenant_learns_nothing(world: World, cases: ReportCases) -> None:
    client = world.client(world.a.dcs[0])
    for param in (f"reseller_id={world.b.reseller.pk}", f"account_id={world.b.account.pk}"):
        r = client.get(f"/api/reports/sla?{QS}&group_by=account&{param}")
        assert r.status_code == 200
        body = r.json()
        assert body["groups"] == [] and body["totals"]["cases"] == 0
        assert world.b.account.name not in r.content.decode()


def test_csm_without_accounts_sees_no_cases(world: World, cases: ReportCases) -> None:
    other = tenancy_services.user_create(actor=world.admin, email="csm9@vendor.test", name="CSM Nine", role="csm")
    _, token = tenancy_services.token_create(actor=other, name="t")
    assert ApiClient(token).get(f"/api/reports/sla?{QS}").json()["totals"]["cases"] == 0


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("from=2026-10-02&to=2026-10-01", {"to"}),
        ("group_by=colour", {"group_by"}),
        ("package=gold&severity=7", {"package", "severity"}),
        ("from=yesterday", {"from"}),
    ],
)
def test_bad_report_requests_name_every_bad_field(world: World, query: str, fields: set[str]) -> None:
    r = world.client(world.agent).get(f"/api/reports/sla?{query}")
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) == fields


def test_reports_need_a_token(world: World) -> None:
    assert ApiClient(None).get("/api/reports/sla").status_code == 401
    assert ApiClient(None).get("/api/reports/what-if?package=care_for_cloud").status_code == 401


def test_what_if_api(world: World, cases: ReportCases) -> None:
    r = world.client(world.a.dcs[0]).get(f"/api/reports/what-if?{QS}&package=business_care_for_cloud")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["reseller_id"] == world.a.reseller.pk and body["cases"] == 8
    assert body["targets"]["response"]["actual"]["breached"] == 2
    assert body["targets"]["response"]["what_if"]["breached"] == 3
    assert body["targets"]["response"]["breach_delta"] == 1
    assert body["changed_cases"][0]["case_id"] == cases.c5.pk
    assert body["changed_cases"][0]["changes"] == {"response": {"actual": "met", "what_if": "breached"}}
    foreign = world.client(world.a.dcs[0]).get(
        f"/api/reports/what-if?{QS}&package=care_for_cloud&reseller_id={world.b.reseller.pk}"
    )
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "not_found"
    vendor = world.client(world.agent).get(f"/api/reports/what-if?{QS}&package=care_for_cloud")
    assert vendor.status_code == 422 and "reseller_id" in vendor.json()["error"]["fields"]


# --------------------------------------------------------------------------- pages and CSV


def test_csv_has_the_same_numbers_as_the_json(world: World, cases: ReportCases) -> None:
    dc = world.a.dcs[0]
    body = world.client(dc).get(f"/api/reports/sla?{QS}&group_by=severity").json()
    r = page_client(dc).get(f"/reports/sla.csv?{QS}&group_by=severity")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert [row["label"] for row in rows] == ["2 High", "3 Medium", "All cases"]
    for row, group in zip(rows, [*body["groups"], body["totals"]], strict=True):
        assert int(row["cases"]) == group["cases"]
        for kind in ("response", "restoration", "resolution"):
            t = group["targets"][kind]
            assert int(row[f"{kind}_met"]) == t["met"] and int(row[f"{kind}_breached"]) == t["breached"]
            assert (row[f"{kind}_median_hours"] or None) == (
                None if t["median_hours"] is None else str(t["median_hours"])
            )
    goal = list(
        csv.DictReader(io.StringIO(page_client(dc).get(f"/reports/sla.csv?{QS}&section=goal").content.decode()))
    )
    assert {(g["package"], g["severity"], g["under_goal"]) for g in goal} == {
        ("care_for_cloud", "2", "true"),
        ("care_for_cloud", "3", ""),
        ("business_care_for_cloud", "2", "true"),
        ("business_care_for_cloud", "3", "false"),
    }
    trend = list(csv.reader(io.StringIO(page_client(dc).get(f"/reports/sla.csv?{QS}&section=trend").content.decode())))
    assert [row[0] for row in trend] == ["month", "2026-09", "2026-10"]
    assert page_client(dc).get(f"/reports/sla.csv?{QS}&section=nope").status_code == 422


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def test_reports_page_renders_tables_and_two_well_formed_accessible_charts(world: World, cases: ReportCases) -> None:
    r = page_client(world.agent).get(f"/reports/?{QS}&group_by=reseller&kind=response")
    assert r.status_code == 200
    html = r.content.decode()
    charts = _svgs(html)
    assert len(charts) == 2
    for svg in charts:
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby", "").split()
        assert svg.find(f"{SVG}title").get("id") == title_id and svg.find(f"{SVG}desc").get("id") == desc_id
        assert all("style" not in el.attrib for el in svg.iter())
    trend, breakdown = charts
    assert len(trend.findall(f".//{SVG}polyline")) == 3  # one line per target kind
    bars = [el for el in breakdown.iter(f"{SVG}rect") if el.get("class", "").startswith("bar-")]
    assert {b.find(f"{SVG}title").text for b in bars if b.find(f"{SVG}title") is not None} >= {
        f"{world.a.reseller.name}: 6 met",
        f"{world.a.reseller.name}: 2 breached",
    }
    assert "Under goal" in html and "Meets goal" in html
    assert "/reports/sla.csv?" in html
    # Strict CSP: no inline script or style on the page.
    assert "script-src 'self'" in r["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\sstyle=", html)


def test_reports_page_of_a_dc_shows_only_their_reseller(world: World, cases: ReportCases) -> None:
    html = page_client(world.a.dcs[0]).get(f"/reports/?{QS}&group_by=account").content.decode()
    for secret in (world.b.reseller.name, world.b.account.name, world.b.dcs[0].email):
        assert secret not in html
    assert world.a.account.name in html
    assert 'name="reseller_id"' not in html  # reseller roles have no reseller filter


def test_reports_page_shows_filter_errors_by_field(world: World) -> None:
    r = page_client(world.agent).get("/reports/?from=2026-10-05&to=2026-10-01&group_by=nope")
    assert r.status_code == 422
    html = r.content.decode()
    assert 'id="r-to-err"' in html and 'id="r-group-err"' in html


def test_pages_need_a_login(world: World) -> None:
    for path in ("/reports/", "/reports/sla.csv", "/reports/what-if/"):
        r = Client().get(path)
        assert r.status_code == 302 and "/login/" in r["Location"]


def test_what_if_page(world: World, cases: ReportCases) -> None:
    client = page_client(world.agent)
    assert client.get("/reports/what-if/").status_code == 200
    r = client.get(f"/reports/what-if/?{QS}&package=care_for_cloud&reseller_id={world.a.reseller.pk}")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Cases whose outcome would change (1)" in html and f"#{cases.c4.pk}" in html
    r = client.get(f"/reports/what-if/?{QS}&package=care_for_cloud")
    assert r.status_code == 422 and 'id="w-reseller-err"' in r.content.decode()
    r = page_client(world.a.dcs[0]).get(
        f"/reports/what-if/?{QS}&package=care_for_cloud&reseller_id={world.b.reseller.pk}"
    )
    assert r.status_code == 404


def test_hostile_account_names_are_escaped_in_page_and_svg_and_defused_in_csv(world: World) -> None:
    hostile = '=HYPERLINK("http://evil")<script>&'
    account = tenancy_services.account_create(
        actor=world.admin,
        reseller_id=world.a.reseller.pk,
        name=hostile,
        department="",
        country="US",
        calendar={"timezone": "America/New_York"},
        csm_id=None,
    )
    tenancy_services.subscription_create(
        actor=world.admin,
        account_id=account.pk,
        service="pureengage_cloud",
        package="care_for_cloud",
        term_start=date(2026, 1, 1),
        term_end=date(2027, 12, 31),
        deployment_timezone="America/New_York",
    )
    payload = case_payload(account, first_observed_at=ny("2026-09-14", "09:00"))
    services.case_open(actor=world.a.dcs[0], payload=payload, now=ny("2026-09-14", "10:00"))
    client = page_client(world.a.dcs[0])
    html = client.get(f"/reports/?{QS}&group_by=account").content.decode()
    assert "<script>&" not in html and "&lt;script&gt;&amp;" in html
    assert len(_svgs(html)) == 2  # still parses
    text = client.get(f"/reports/sla.csv?{QS}&group_by=account").content.decode()
    labels = [row["label"] for row in csv.DictReader(io.StringIO(text))]
    assert "'" + hostile in labels


# --------------------------------------------------------------------------- the chart builders alone


def test_charts_are_well_formed_for_empty_and_single_month_reports() -> None:
    for svg_text in (
        trend_chart([], goal_share=0.95),
        trend_chart([TrendPoint(month=date(2026, 1, 1))], goal_share=0.95),
        breakdown_chart([], kind="response"),
    ):
        root = ET.fromstring(svg_text)
        assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title") is not None
    point = TrendPoint(month=date(2026, 1, 1))
    point.targets["response"] = TargetStats(met=3, breached=1)
    root = ET.fromstring(trend_chart([point], goal_share=0.95))
    dots = list(root.iter(f"{SVG}circle"))
    assert len(dots) == 1 and dots[0].find(f"{SVG}title").text == "2026-01 response: 75 % met (3 of 4)"
    with pytest.raises(ValueError):
        breakdown_chart([GroupRow(key={}, label="x")], kind="speed")


def test_a_page_shows_the_largest_groups_in_report_order() -> None:
    from caredesk.reports.views import _largest

    groups = [GroupRow(key={"account": i}, label=f"a{i}", cases=c) for i, c in enumerate([5, 1, 9, 3, 7])]
    assert [g.label for g in _largest(groups, 3)] == ["a0", "a2", "a4"]
    assert _largest(groups, 5) == groups
