"""SLA compliance reports over cases driven through the real services (tests/integration/reports_support.py
works every number out by hand): buckets, share met, percentiles, the monthly trend, the restoration
95 % goal, scoping by role, constant query count, and the what-if replay under another package."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caredesk.cases import services
from caredesk.domain.errors import NotFound, ValidationFailed
from caredesk.domain.sla.policy import policy_from_toml
from caredesk.reports import selectors
from caredesk.reports.stats import SlaReport
from caredesk.tenancy import services as tenancy_services
from caredesk.tenancy.models import User
from tests.conftest import PASSWORD, World
from tests.integration.reports_support import REPORT_NOW, ReportCases, drive_report_cases, ny, open_case

pytestmark = pytest.mark.django_db

START, END = date(2026, 9, 1), date(2026, 10, 31)


@pytest.fixture
def cases(world: World) -> ReportCases:
    return drive_report_cases(world)


def report(actor: User, group_by: str = "package", **filters: object) -> SlaReport:
    query = selectors.report_query(today=REPORT_NOW.date(), start=START, end=END, group_by=group_by, **filters)  # type: ignore[arg-type]
    return selectors.sla_report_for_actor(actor=actor, query=query, now=REPORT_NOW)


def buckets(stats: object) -> tuple[int, int, int, int, int]:
    return (stats.met, stats.breached, stats.running, stats.cancelled, stats.not_applicable)  # type: ignore[attr-defined]


def test_buckets_share_and_percentiles_per_package(world: World, cases: ReportCases) -> None:
    r = report(world.a.dcs[0])
    by = {g.key["package"]: g for g in r.groups}
    assert set(by) == {"care_for_cloud", "business_care_for_cloud"}
    c4c, bc = by["care_for_cloud"], by["business_care_for_cloud"]
    assert (c4c.label, bc.label) == ("Care for Cloud", "Business Care for Cloud")
    assert (c4c.cases, bc.cases) == (4, 4)

    # Care for Cloud: c1, c2, c5, c7.
    resp = c4c.targets["response"]
    assert buckets(resp) == (3, 1, 0, 0, 0)
    assert resp.share_met == 0.75
    assert (resp.median_hours, resp.p90_hours) == (12.25, 23.85)  # of 0.5, 1, 23.5, 24
    rest = c4c.targets["restoration"]
    assert buckets(rest) == (1, 1, 1, 1, 0)  # c2 running past its due counts as breached; c7 paused runs
    assert rest.share_met == 0.5 and (rest.median_hours, rest.p90_hours) == (24.0, 24.0)
    res = c4c.targets["resolution"]
    assert buckets(res) == (1, 1, 1, 1, 0)
    assert (res.median_hours, res.p90_hours) == (48.0, 48.0)

    # Business Care: c3, c4, c6, c9.
    resp = bc.targets["response"]
    assert buckets(resp) == (3, 1, 0, 0, 0)
    assert (resp.median_hours, resp.p90_hours) == (0.75, 2.05)  # of 1/6, 0.5, 1, 2.5
    rest = bc.targets["restoration"]
    assert buckets(rest) == (2, 1, 1, 0, 0)
    assert rest.share_met == pytest.approx(2 / 3)
    assert (rest.median_hours, rest.p90_hours) == (31.0, 102.2)  # of 6, 31, 120 (c4 restored late still counts)
    res = bc.targets["resolution"]
    assert buckets(res) == (2, 0, 2, 0, 0) and res.share_met == 1.0
    assert (res.median_hours, res.p90_hours) == (84.5, 113.7)  # of 48, 121


def test_totals_and_monthly_trend(world: World, cases: ReportCases) -> None:
    r = report(world.a.dcs[0])
    total = r.totals
    assert total.cases == 8
    assert buckets(total.targets["response"]) == (6, 2, 0, 0, 0)
    # 1/6, .5, .5, 1, 1, 2.5, 23.5, 24: median between ranks 3 and 4; p90 at rank 6.3
    assert (total.targets["response"].median_hours, total.targets["response"].p90_hours) == (1.0, 23.65)
    assert buckets(total.targets["restoration"]) == (3, 2, 2, 1, 0)
    assert [p.label for p in r.trend] == ["2026-09", "2026-10"]
    september, october = r.trend
    assert (september.cases, october.cases) == (4, 4)
    assert buckets(september.targets["response"]) == (2, 2, 0, 0, 0)
    assert september.targets["response"].share_met == 0.5
    assert buckets(october.targets["response"]) == (4, 0, 0, 0, 0)
    assert buckets(october.targets["restoration"]) == (1, 0, 2, 1, 0)


def test_a_month_without_cases_is_in_the_trend_with_zeros(world: World, cases: ReportCases) -> None:
    query = selectors.report_query(today=REPORT_NOW.date(), start=date(2026, 8, 1), end=END)
    r = selectors.sla_report_for_actor(actor=world.agent, query=query, now=REPORT_NOW)
    assert [(p.label, p.cases) for p in r.trend] == [("2026-08", 0), ("2026-09", 5), ("2026-10", 4)]
    assert r.trend[0].targets["response"].share_met is None


def test_restoration_goal_flags_package_and_severity_groups_under_95_percent(world: World, cases: ReportCases) -> None:
    r = report(world.a.dcs[0])
    assert r.goal_share == 0.95
    goal = {(g.package, g.severity): g for g in r.goal}
    assert set(goal) == {
        ("care_for_cloud", 2),
        ("care_for_cloud", 3),
        ("business_care_for_cloud", 2),
        ("business_care_for_cloud", 3),
    }
    assert goal["care_for_cloud", 2].under_goal is True  # 1 of 2 decided
    assert goal["care_for_cloud", 2].restoration.share_met == 0.5
    assert goal["care_for_cloud", 3].under_goal is None  # only a cancelled one: no share, no flag
    assert goal["business_care_for_cloud", 2].under_goal is True
    assert goal["business_care_for_cloud", 3].under_goal is False  # 1 of 1
    assert goal["business_care_for_cloud", 3].severity_label == "3 Medium"


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("severity", {(2,): 6, (3,): 2}),
        ("service", {("pureengage_cloud",): 4, ("premier_edition",): 4}),
        (
            "package_severity",
            {
                ("care_for_cloud", 2): 3,
                ("care_for_cloud", 3): 1,
                ("business_care_for_cloud", 2): 3,
                ("business_care_for_cloud", 3): 1,
            },
        ),
    ],
)
def test_other_groupings_partition_the_same_cases(
    world: World, cases: ReportCases, group_by: str, expected: dict[tuple[object, ...], int]
) -> None:
    r = report(world.a.dcs[0], group_by=group_by)
    assert {tuple(g.key.values()): g.cases for g in r.groups} == expected
    for kind in ("response", "restoration", "resolution"):
        assert sum(g.targets[kind].met for g in r.groups) == r.totals.targets[kind].met


def test_reseller_roles_see_only_their_own_reseller(world: World, cases: ReportCases) -> None:
    for user in (world.a.dcs[0], world.a.staff):
        r = report(user, group_by="reseller")
        assert [g.label for g in r.groups] == [world.a.reseller.name]
    r = report(world.b.dcs[0], group_by="reseller")
    assert [(g.label, g.cases) for g in r.groups] == [(world.b.reseller.name, 1)]
    # A filter naming another tenant matches nothing rather than revealing it.
    r = report(world.a.dcs[0], group_by="account", reseller_id=world.b.reseller.pk)
    assert r.groups == [] and r.totals.cases == 0


def test_customer_care_sees_every_reseller_and_can_filter(world: World, cases: ReportCases) -> None:
    r = report(world.agent, group_by="reseller")
    assert {g.label: g.cases for g in r.groups} == {world.a.reseller.name: 8, world.b.reseller.name: 1}
    r = report(world.admin, group_by="account", reseller_id=world.b.reseller.pk)
    assert [g.label for g in r.groups] == [f"{world.b.account.name} / Contact Centre"]
    r = report(world.manager, package="business_care_for_cloud", severity=3)
    assert r.totals.cases == 1


def test_a_csm_sees_the_cases_of_their_accounts_only(world: World, cases: ReportCases) -> None:
    assert report(world.csm).totals.cases == 9  # world.csm is the CSM of both accounts
    other = tenancy_services.user_create(
        actor=world.admin, email="csm2@vendor.test", name="Other CSM", role="csm", password=PASSWORD
    )
    assert report(other).totals.cases == 0


def test_query_count_does_not_grow_with_cases_or_groups(world: World, cases: ReportCases) -> None:
    with CaptureQueriesContext(connection) as few:
        report(world.agent, group_by="account")
    for i in range(3):
        drive_more = ny("2026-09-22", "10:00") + timedelta(hours=i)

        case = open_case(world, "b", "premier_edition", 3, drive_more, f"extra {i}")
        services.case_acknowledge(actor=world.agent, case_id=case.pk, now=drive_more + timedelta(minutes=5))
    with CaptureQueriesContext(connection) as more:
        r = report(world.agent, group_by="account")
    assert r.totals.cases == 12
    assert len(more) == len(few)
    assert len(few) <= 10, [q["sql"][:120] for q in few.captured_queries]


def test_report_requests_are_validated_field_by_field() -> None:
    with pytest.raises(ValidationFailed) as err:
        selectors.report_query(today=date(2026, 10, 1), start=date(2026, 10, 2), end=date(2026, 10, 1), group_by="x")
    assert set(err.value.errors) == {"to", "group_by"}
    policy = policy_from_toml(Path(settings.CAREDESK_POLICY_FILE).read_text(), source="test")
    with pytest.raises(ValidationFailed) as err:
        selectors.report_query(today=date(2026, 10, 1), package="gold", severity=9, service="fax", policy=policy)
    assert set(err.value.errors) == {"package", "severity", "service"}
    q = selectors.report_query(today=date(2026, 10, 17))
    assert (q.start, q.end, q.group_by) == (date(2026, 5, 1), date(2026, 10, 17), "package")


# --------------------------------------------------------------------------- what-if


def test_what_if_business_care_would_have_breached_one_more_response(world: World, cases: ReportCases) -> None:
    w = selectors.what_if_for_actor(
        actor=world.agent,
        reseller_id=world.a.reseller.pk,
        start=START,
        end=END,
        package="business_care_for_cloud",
        now=REPORT_NOW,
    )
    assert w.cases == 8 and w.cases_by_package == {"business_care_for_cloud": 4, "care_for_cloud": 4}
    response = w.kinds["response"]
    assert buckets(response.actual) == (6, 2, 0, 0, 0)  # the same numbers as the report
    assert buckets(response.what_if) == (5, 3, 0, 0, 0)
    assert response.breach_delta == 1
    assert w.kinds["restoration"].breach_delta == 0 and w.kinds["resolution"].breach_delta == 0
    # c5 was answered after 7.5 business hours: within Care for Cloud's 1bd, not Business Care's 4bh.
    assert [(c.case_id, c.changes) for c in w.changed] == [(cases.c5.pk, {"response": ("met", "breached")})]
    assert w.changed_total == 1


def test_what_if_care_for_cloud_would_have_met_c4(world: World, cases: ReportCases) -> None:
    w = selectors.what_if_for_actor(
        actor=world.a.dcs[0], reseller_id=None, start=START, end=END, package="care_for_cloud", now=REPORT_NOW
    )
    assert w.reseller_id == world.a.reseller.pk
    assert buckets(w.kinds["restoration"].actual) == (3, 2, 2, 1, 0)
    assert buckets(w.kinds["restoration"].what_if) == (4, 1, 2, 1, 0)
    assert (w.kinds["response"].breach_delta, w.kinds["restoration"].breach_delta) == (-1, -1)
    assert [c.case_id for c in w.changed] == [cases.c4.pk]
    assert w.changed[0].changes == {"response": ("breached", "met"), "restoration": ("breached", "met")}


def test_what_if_is_scoped_and_validated(world: World, cases: ReportCases) -> None:
    with pytest.raises(NotFound):
        selectors.what_if_for_actor(
            actor=world.a.dcs[0],
            reseller_id=world.b.reseller.pk,
            start=START,
            end=END,
            package="care_for_cloud",
            now=REPORT_NOW,
        )
    with pytest.raises(ValidationFailed) as err:
        selectors.what_if_for_actor(
            actor=world.agent, reseller_id=None, start=END, end=START, package="gold", now=REPORT_NOW
        )
    assert set(err.value.errors) == {"reseller_id", "package", "to"}


def test_what_if_fetches_histories_in_one_query(world: World, cases: ReportCases) -> None:
    def run() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.what_if_for_actor(
                actor=world.agent,
                reseller_id=world.a.reseller.pk,
                start=START,
                end=END,
                package="pure_success",
                now=REPORT_NOW,
            )
        return len(ctx)

    before = run()

    for i in range(3):
        open_case(world, "a", "premier_edition", 3, ny("2026-09-23", "10:00") + timedelta(hours=i), f"more {i}")
    assert run() == before <= 6


# --------------------------------------------------------------------------- cached answers


def test_report_scope_mirrors_case_visibility(world: World, cases: ReportCases) -> None:
    from caredesk.cases.selectors import case_visible_for_actor

    other_csm = tenancy_services.user_create(
        actor=world.admin, email="csm3@vendor.test", name="Third CSM", role="csm", password=PASSWORD
    )
    people = [
        world.admin,
        world.agent,
        world.manager,
        world.csm,
        other_csm,
        *world.a.dcs,
        world.a.staff,
        *world.b.dcs,
        world.b.staff,
    ]
    seen: dict[str, set[int]] = {}
    for user in people:
        visible = set(case_visible_for_actor(actor=user).values_list("pk", flat=True))
        scope = selectors.report_scope(user)
        assert seen.setdefault(scope, visible) == visible, f"{user.email} shares scope {scope} but sees other cases"
    assert len(seen) == 5  # all, two CSMs, two resellers


def test_cached_reports_are_shared_within_a_scope_only(world: World, cases: ReportCases) -> None:
    query = selectors.report_query(today=END, start=START, end=END)
    first = selectors.sla_report_cached(actor=world.a.dcs[0], query=query, policy=None)
    again = selectors.sla_report_cached(actor=world.a.staff, query=query, policy=None)
    assert again.generated_at == first.generated_at and again.totals.cases == 8
    other = selectors.sla_report_cached(actor=world.b.dcs[0], query=query, policy=None)
    assert other.totals.cases == 1
    vendor = selectors.sla_report_cached(actor=world.agent, query=query, policy=None)
    assert vendor.totals.cases == 9
    assert (
        selectors.sla_report_cached(actor=world.manager, query=query, policy=None).generated_at == vendor.generated_at
    )
    with pytest.raises(NotFound):
        selectors.what_if_cached(
            actor=world.a.dcs[0], reseller_id=world.b.reseller.pk, start=START, end=END, package="care_for_cloud"
        )
    w = selectors.what_if_cached(actor=world.a.dcs[0], reseller_id=None, start=START, end=END, package="care_for_cloud")
    assert w.reseller_id == world.a.reseller.pk and w.cases == 8
