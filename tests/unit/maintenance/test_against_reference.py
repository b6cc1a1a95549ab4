"""DOMAIN.md "Clocks" (wall-clock rule) applied to "Maintenance": ``occurrences`` and ``in_window``
agree with a minute-walking reference for random rules, zones and intervals, DST nights included."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from caredesk.domain.maintenance import WindowRule, in_window, occurrences
from tests.unit.maintenance.reference import reference_occurrences

# Zones with 1-hour, 30-minute (Lord Howe) and midnight (Havana, Santiago) DST changes, southern
# and northern hemispheres, odd offsets (Kolkata +05:30, Chatham +12:45) and fixed EST.
ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
    "Pacific/Chatham",
    "EST",
)
LOW = datetime(2020, 1, 1, tzinfo=UTC)
HIGH = datetime(2032, 1, 1, tzinfo=UTC)


@cache
def transitions(key: str) -> tuple[datetime, ...]:
    """The instants (to the minute) at which ``key`` changes its UTC offset between LOW and HIGH."""
    zone = ZoneInfo(key)
    found: list[datetime] = []
    step = timedelta(hours=6)
    at = LOW
    while at < HIGH:
        if at.astimezone(zone).utcoffset() != (at + step).astimezone(zone).utcoffset():
            lo, hi = at, at + step
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(second=0, microsecond=0))
        at += step
    return tuple(found)


# Window boundaries: the DST-prone hours and midnight often, any minute sometimes.
boundary_minutes = st.one_of(
    st.sampled_from([0, 30, 60, 90, 120, 150, 180, 330, 360, 1320, 1380, 1410]),
    st.integers(0, 1439),
)


@st.composite
def rules(draw: st.DrawFn) -> WindowRule:
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    start = draw(boundary_minutes)
    end = draw(st.one_of(boundary_minutes, st.just(1440)))
    # Half the rules run in the deployment zone, whose offset changes the instants are drawn near.
    zone = draw(st.one_of(st.just("deployment"), st.sampled_from(ZONES)))
    return WindowRule(
        "svc",
        tuple(sorted(days)),
        time(start // 60, start % 60),
        time((end // 60) % 24, end % 60),
        zone,
    )


@st.composite
def instants(draw: st.DrawFn, deployment: str) -> datetime:
    """Near one of the deployment zone's offset changes most of the time, anywhere otherwise."""
    near = transitions(deployment)
    use_near: bool = draw(st.booleans())
    if near and use_near:
        base = draw(st.sampled_from(near))
        return base + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    return draw(st.datetimes(LOW.replace(tzinfo=None), HIGH.replace(tzinfo=None), timezones=st.just(UTC)))


def zones_of(rule_list: list[WindowRule], deployment: str) -> list[tzinfo]:
    return [ZoneInfo(deployment if r.timezone == "deployment" else r.timezone) for r in rule_list]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    rule_list=st.lists(rules(), min_size=1, max_size=3),
    deployment=st.sampled_from(ZONES),
)
@example(  # New York, spring forward 2027-03-14: a window that starts in the skipped hour
    data=None,
    rule_list=[WindowRule("svc", (6,), time(2, 30), time(5), "deployment")],
    deployment="America/New_York",
).via("discovered failure")
@example(  # Lord Howe, back 30 minutes 2027-04-04 02:00 -> 01:30: a window that ends in the repeat
    data=None,
    rule_list=[WindowRule("svc", (5,), time(22), time(1, 45), "deployment")],
    deployment="Australia/Lord_Howe",
).via("discovered failure")
def test_occurrences_equal_the_minute_walking_reference(
    data: st.DataObject | None, rule_list: list[WindowRule], deployment: str
) -> None:
    if data is None:  # the explicit examples: the two days around their zone's change
        start, length = datetime(2027, 3, 13, 7, 13, tzinfo=UTC), timedelta(hours=40)
        if deployment == "Australia/Lord_Howe":
            start = datetime(2027, 4, 2, 7, 13, tzinfo=UTC)
    else:
        start = data.draw(instants(deployment))
        length = timedelta(seconds=data.draw(st.integers(0, 2 * 86400)))
    end = start + length
    found = occurrences(rule_list, start, end, deployment_tz=deployment)
    expected = reference_occurrences(rule_list, zones_of(rule_list, deployment), start, end)
    assert sorted((o.service, o.start, o.end) for o in found) == expected
    assert [o.start for o in found] == sorted(o.start for o in found)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), rule_list=st.lists(rules(), min_size=1, max_size=3), deployment=st.sampled_from(ZONES))
def test_in_window_equals_the_minute_walking_reference(
    data: st.DataObject, rule_list: list[WindowRule], deployment: str
) -> None:
    at = data.draw(instants(deployment))
    holding = [
        (s, e)
        for (_, s, e) in reference_occurrences(
            rule_list, zones_of(rule_list, deployment), at, at + timedelta(seconds=1)
        )
        if s <= at < e
    ]
    found = in_window(rule_list, at, deployment_tz=deployment)
    if holding:
        assert found is not None and (found.start, found.end) == min(holding)
    else:
        assert found is None


@settings(max_examples=80, deadline=None)
@given(
    rule_list=st.lists(rules(), min_size=1, max_size=3),
    deployment=st.sampled_from(ZONES),
    start=st.datetimes(LOW.replace(tzinfo=None), HIGH.replace(tzinfo=None), timezones=st.just(UTC)),
    cut=st.integers(0, 20 * 86400),
    rest=st.integers(0, 20 * 86400),
)
def test_an_interval_split_in_two_lists_the_same_occurrences(
    rule_list: list[WindowRule], deployment: str, start: datetime, cut: int, rest: int
) -> None:
    middle = start + timedelta(seconds=cut)
    end = middle + timedelta(seconds=rest)
    whole = occurrences(rule_list, start, end, deployment_tz=deployment)
    halves = occurrences(rule_list, start, middle, deployment_tz=deployment) + occurrences(
        rule_list, middle, end, deployment_tz=deployment
    )
    # Identical rules may be drawn, so compare as sets; each half repeats what straddles the cut.
    assert set(whole) == set(halves)
    assert [o.start for o in whole] == sorted(o.start for o in whole)
