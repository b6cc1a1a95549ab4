"""DOMAIN.md "Clocks": one test per rule, named after it, with instants worked out by hand.

The account calendar is the vendor default (Mon-Fri 09:00-17:00, America/New_York, no holidays).
The week used: Monday 2026-03-02 ... Friday 2026-03-06; US daylight time starts on Sunday
2026-03-08, so instants from Monday 2026-03-09 on are EDT (UTC-4).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.clocks import ClockState, SlaEvent, TargetState, format_due, format_instant
from caredesk.domain.sla.policy import Policy, load_default_policy, load_policy, policy_from_dict
from caredesk.domain.sla.replay import replay

NY_ZONE = ZoneInfo("America/New_York")
NY = BusinessCalendar.from_dict({"timezone": "America/New_York"})
POLICY = load_default_policy()
E = SlaEvent

MET, BREACHED, RUNNING = TargetState.MET, TargetState.BREACHED, TargetState.RUNNING
PAUSED, NOT_APPLICABLE, CANCELLED = TargetState.PAUSED, TargetState.NOT_APPLICABLE, TargetState.CANCELLED


def ny(text: str) -> datetime:
    """A New York wall-clock instant: ``ny("2026-03-02 10:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=NY_ZONE)


def clocks(
    *events: SlaEvent,
    package: str = "care_for_cloud",
    as_of: datetime | None = None,
    policy: Policy = POLICY,
    calendar: BusinessCalendar = NY,
) -> ClockState:
    return replay(list(events), package=package, policy=policy, calendar=calendar, as_of=as_of)


MON = "2026-03-02"
TUE = "2026-03-03"
WED = "2026-03-04"
THU = "2026-03-05"
FRI = "2026-03-06"
SAT = "2026-03-07"


# --------------------------------------------------------------------------- Start


def test_start_every_target_starts_when_the_case_is_submitted() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2))
    assert s.response.state is RUNNING and s.response.due == ny(f"{MON} 16:00")  # 6bh
    assert s.restoration.due == ny(f"{FRI} 10:00")  # 4bd = 32bh
    assert s.resolution.due == ny("2026-03-23 10:00")  # 15bd = 120bh
    assert s.severity == 2 and s.submitted_at == ny(f"{MON} 10:00")


def test_business_time_a_case_logged_on_saturday_starts_accruing_at_mondays_opening() -> None:
    s = clocks(E.submitted(ny(f"{SAT} 12:00"), 3))
    assert s.response.due == ny("2026-03-09 17:00")  # 1bd, due exactly at closing time
    assert s.restoration.due == ny("2026-03-20 17:00")  # 10bd
    assert s.resolution.due == ny("2026-04-17 17:00")  # 30bd


def test_due_instant_can_fall_exactly_on_a_closing_time_not_the_next_opening() -> None:
    s = clocks(E.submitted(ny(f"{MON} 09:00"), 3), package="business_care_for_cloud")
    assert s.restoration.due == ny(f"{FRI} 17:00")  # 5bd from Monday's opening
    assert format_due(s.restoration.due) == "2026-03-06T22:00:00Z"


def test_24x7_targets_count_absolute_elapsed_time() -> None:
    s = clocks(E.submitted(ny(f"{SAT} 12:00"), 1))
    assert s.response.due == ny(f"{SAT} 16:00")  # 4h, on a Saturday
    assert s.restoration.due == ny(f"{SAT} 18:00")  # 6h
    s = clocks(E.submitted(ny(f"{SAT} 12:00"), 1), package="pure_success")
    assert s.response.due == ny(f"{SAT} 12:15")  # 15m


def test_24x7_targets_count_real_hours_across_a_dst_change() -> None:
    s = clocks(E.submitted(ny("2026-03-08 00:00"), 1))  # EST; clocks jump 02:00 -> 03:00
    assert s.response.due == ny("2026-03-08 05:00")  # 4 real hours later, EDT
    assert s.response.due - ny("2026-03-08 00:00") == timedelta(hours=4)


def test_a_target_the_policy_marks_not_applicable_has_no_due() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 4))
    assert s.response.due == ny(f"{WED} 10:00")  # 2bd
    for target in (s.restoration, s.resolution):
        assert target.state is NOT_APPLICABLE and target.due is None and target.amount is None


# --------------------------------------------------------------------------- Met


def test_met_response_by_customer_cares_first_response() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 10:30")),
        E.responded(ny(f"{MON} 11:30")),
    )
    assert s.response.state is MET
    assert s.response.met_at == ny(f"{MON} 10:30")  # the first response counts
    assert s.response.due == ny(f"{MON} 16:00")


def test_met_restoration_when_service_is_restored() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.restored(ny(f"{TUE} 10:00")))
    assert s.restoration.state is MET and s.restoration.met_at == ny(f"{TUE} 10:00")
    assert s.resolution.state is RUNNING


def test_met_resolution_when_an_agent_resolves_the_case() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 3),
        E.responded(ny(f"{MON} 10:30")),
        E.restored(ny(f"{TUE} 10:00")),
        E.resolved(ny(f"{WED} 10:00")),
    )
    assert s.resolution.state is MET and s.resolution.met_at == ny(f"{WED} 10:00")
    assert s.restoration.met_at == ny(f"{TUE} 10:00")  # already met: unchanged
    assert s.resolved and s.resolution_code is None


def test_met_resolving_also_meets_a_still_open_restoration() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2), E.responded(ny(f"{MON} 10:30")), E.resolved(ny(f"{TUE} 10:00"), "fixed")
    )
    assert s.restoration.state is MET and s.restoration.met_at == ny(f"{TUE} 10:00")
    assert s.resolution_code == "fixed"


def test_met_resolving_does_not_meet_the_response_target() -> None:
    # Decision: only a response visible to the reseller (responded) meets response.
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.resolved(ny(f"{MON} 11:00")))
    assert s.response.state is RUNNING
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.resolved(ny(f"{MON} 11:00")), as_of=ny(f"{MON} 16:00"))
    assert s.response.state is BREACHED


# --------------------------------------------------------------------------- Pause


def test_pause_awaiting_reseller_stops_restoration_and_resolution_response_never_pauses() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.awaiting_reseller(ny(f"{MON} 11:00")))
    assert s.paused
    assert s.restoration.state is PAUSED and s.restoration.due is None
    assert s.resolution.state is PAUSED and s.resolution.due is None
    assert s.response.state is RUNNING and s.response.due == ny(f"{MON} 16:00")
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.awaiting_reseller(ny(f"{MON} 11:00")), as_of=ny(f"{TUE} 10:00"))
    assert s.response.state is BREACHED  # the response clock kept running


def test_pause_on_resume_the_target_keeps_the_clock_time_it_had_left_business_clock() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 12:00")),
        E.awaiting_reseller(ny(f"{MON} 15:00")),  # restoration: 5 of 32 bh used, 27 left
        E.resumed(ny(f"{WED} 11:00")),
    )
    assert not s.paused
    assert s.restoration.state is RUNNING and s.restoration.due == ny("2026-03-09 14:00")
    assert s.resolution.due == ny("2026-03-24 14:00")  # 115 bh left from Wednesday 11:00
    assert s.response.state is MET


def test_pause_keeps_the_time_left_measured_on_the_targets_own_24x7_clock() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),  # restoration 6h: due 16:00
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 12:00")),  # 4h left
        E.resumed(ny(f"{SAT} 03:00")),
    )
    assert s.restoration.due == ny(f"{SAT} 07:00")  # 24x7: Saturday night counts


def test_pause_several_pauses_add_up() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 11:00")),
        E.resumed(ny(f"{MON} 12:00")),
        E.awaiting_reseller(ny(f"{MON} 13:00")),
        E.resumed(ny(f"{MON} 15:30")),
    )
    assert s.restoration.due == ny(f"{MON} 19:30")  # 6h + 1h + 2.5h


def test_pause_resolving_a_case_that_awaits_the_reseller_first_ends_the_pause_at_that_instant() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 11:00")),
        E.resolved(ny(f"{TUE} 10:00")),
    )
    assert not s.paused
    assert s.resolution.state is MET and s.resolution.met_at == ny(f"{TUE} 10:00")
    assert s.resolution.due == ny("2026-03-23 17:00")  # 119 bh left, counted from Tuesday 10:00
    assert s.restoration.state is MET and s.restoration.due == ny(f"{FRI} 17:00")  # 31 bh left
    assert s.post_mortem_due == ny("2026-03-10 10:00")  # High: 5bd from the resolution


def test_pause_that_begins_after_a_targets_due_instant_changes_nothing_for_it() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),  # restoration due 16:00
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 17:00")),
        E.resumed(ny(f"{TUE} 10:00")),
    )
    assert s.restoration.state is BREACHED and s.restoration.due == ny(f"{MON} 16:00")
    # resolution (15bd = 120bh) had 113 bh left at 17:00 Monday; Tuesday 09:00-10:00 did not count
    assert s.resolution.state is RUNNING and s.resolution.due == ny("2026-03-23 11:00")


def test_pause_that_begins_exactly_at_a_targets_due_instant_changes_nothing_for_it() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 16:00")),
        E.resumed(ny(f"{TUE} 09:00")),
    )
    assert s.restoration.state is BREACHED and s.restoration.due == ny(f"{MON} 16:00")


def test_pause_a_target_met_during_a_pause_is_met() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 11:00")),
        E.restored(ny(f"{TUE} 10:00")),
    )
    assert s.restoration.state is MET and s.restoration.met_at == ny(f"{TUE} 10:00")
    assert s.resolution.state is PAUSED and s.paused


# --------------------------------------------------------------------------- Severity change


def test_severity_rise_new_due_is_the_earlier_of_the_old_due_and_c_plus_the_new_duration() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.severity_changed(ny(f"{MON} 11:00"), 1))
    assert s.severity == 1
    assert s.response.due == ny(f"{MON} 15:00")  # 11:00 + 4h < 16:00
    assert s.restoration.due == ny(f"{MON} 17:00")  # 11:00 + 6h < Friday 10:00
    assert s.resolution.due == ny("2026-03-23 10:00")  # old due < 11:00 + 15bd


def test_severity_rise_never_relaxes_a_deadline() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 09:00"), 3),  # Business Care: response 4bh, due 13:00
        E.severity_changed(ny(f"{MON} 12:00"), 2),  # 12:00 + 2bh = 14:00 would be later
        package="business_care_for_cloud",
    )
    assert s.response.due == ny(f"{MON} 13:00")
    assert s.restoration.due == ny(f"{WED} 12:00")  # 12:00 + 2bd < Friday 17:00


def test_severity_rise_the_critical_response_counts_from_the_phone_call() -> None:
    s = clocks(
        E.submitted(ny(f"{FRI} 16:00"), 2),  # response 2bh: Monday 10:00
        E.severity_changed(ny(f"{SAT} 03:00"), 1),  # the DC telephoned at 03:00 on Saturday
        package="business_care_for_cloud",
    )
    assert s.response.due == ny(f"{SAT} 03:15")
    assert s.restoration.due == ny(f"{SAT} 07:00")


def test_severity_fall_new_due_is_recomputed_from_the_original_start_with_the_new_duration() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 1), E.severity_changed(ny(f"{MON} 11:00"), 2))
    assert s.response.due == ny(f"{MON} 16:00")  # 10:00 + 6bh
    assert s.restoration.due == ny(f"{FRI} 10:00")  # 10:00 + 4bd
    assert s.resolution.due == ny("2026-03-23 10:00")


def test_severity_fall_at_the_submission_instant_is_as_if_submitted_at_the_new_severity() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 1), E.severity_changed(ny(f"{MON} 10:00"), 2))
    assert s.targets == clocks(E.submitted(ny(f"{MON} 10:00"), 2)).targets


def test_severity_fall_recomputed_with_pauses_included() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 11:00")),
        E.resumed(ny(f"{TUE} 11:00")),  # 8 business hours paused
        E.severity_changed(ny(f"{TUE} 12:00"), 3),
    )
    # 10bd = 80bh from Monday 10:00, not counting the 8 paused business hours
    assert s.restoration.due == ny("2026-03-17 10:00")
    assert s.resolution.due == ny("2026-04-14 10:00")  # 30bd = 240bh, likewise


def test_severity_fall_never_makes_a_due_earlier() -> None:
    raw = _shipped_raw()
    raw["packages"]["care_for_cloud"]["targets"]["2"]["response"] = "1h"  # shorter than Critical's 4h
    policy = policy_from_dict(raw)
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 1), E.severity_changed(ny(f"{MON} 10:30"), 2), policy=policy)
    assert s.response.due == ny(f"{MON} 14:00")  # not 11:00


def test_severity_fall_after_the_new_duration_is_used_up_keeps_the_old_due() -> None:
    raw = _shipped_raw()
    raw["packages"]["care_for_cloud"]["targets"]["2"]["response"] = "1h"
    policy = policy_from_dict(raw)
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 1), E.severity_changed(ny(f"{MON} 12:00"), 2), policy=policy)
    assert s.response.state is RUNNING and s.response.due == ny(f"{MON} 14:00")


def test_severity_change_a_target_that_stays_not_applicable_stays_not_applicable() -> None:
    other = load_policy(Path(__file__).parent / "data" / "other-vendor.toml")
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2), E.severity_changed(ny(f"{MON} 11:00"), 3), package="bronze", policy=other
    )
    assert s.restoration.state is NOT_APPLICABLE and s.resolution.state is CANCELLED


def test_severity_change_a_target_that_becomes_not_applicable_is_cancelled() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 3), E.severity_changed(ny(f"{MON} 11:00"), 4))
    assert s.restoration.state is CANCELLED and s.resolution.state is CANCELLED
    assert s.restoration.due == ny("2026-03-16 10:00")  # the due it had when cancelled
    assert s.response.due == ny(f"{WED} 10:00")  # a fall: 2bd from the original start


def test_severity_change_a_paused_target_that_becomes_not_applicable_is_cancelled_without_a_due() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 3),
        E.awaiting_reseller(ny(f"{MON} 11:00")),
        E.severity_changed(ny(f"{MON} 12:00"), 4),
        E.resumed(ny(f"{MON} 13:00")),
    )
    assert s.restoration.state is CANCELLED and s.restoration.due is None
    assert s.restoration.to_json() == {"state": "cancelled", "due": None, "met_at": None}


def test_severity_change_a_target_that_becomes_applicable_starts_at_c() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 4), E.severity_changed(ny(f"{TUE} 11:00"), 2))
    assert s.restoration.state is RUNNING and s.restoration.due == ny("2026-03-09 11:00")  # Tue 11:00 + 4bd
    assert s.resolution.due == ny("2026-03-24 11:00")  # Tue 11:00 + 15bd
    assert s.response.due == ny(f"{TUE} 17:00")  # a rise: min(Wed 10:00, Tue 11:00 + 6bh)


def test_severity_change_a_target_that_becomes_applicable_during_a_pause_starts_paused() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 4),
        E.awaiting_reseller(ny(f"{MON} 11:00")),
        E.severity_changed(ny(f"{TUE} 11:00"), 2),
        E.resumed(ny(f"{WED} 11:00")),
    )
    assert s.restoration.due == ny("2026-03-10 11:00")  # 4bd from the resumption


def test_severity_change_met_targets_stay_met() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2), E.responded(ny(f"{MON} 10:30")), E.severity_changed(ny(f"{MON} 11:00"), 1)
    )
    assert s.response.state is MET
    assert s.response.met_at == ny(f"{MON} 10:30") and s.response.due == ny(f"{MON} 16:00")


def test_severity_change_during_a_pause_applies_as_of_the_pause_start() -> None:
    # Decision: the clock stands still during a pause, so c + new duration counts from its start.
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 11:00")),
        E.severity_changed(ny(f"{MON} 15:00"), 1),  # restoration 6h from 11:00 would be 17:00
        E.resumed(ny(f"{TUE} 09:00")),
    )
    assert s.restoration.due == ny(f"{TUE} 15:00")  # the 6h left, from the resumption
    assert s.response.state is MET


def test_severity_change_to_the_same_severity_or_after_resolution_is_refused() -> None:
    with pytest.raises(ValidationFailed, match=r"events\[1\]: the severity is already 2"):
        clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.severity_changed(ny(f"{MON} 11:00"), 2))
    with pytest.raises(ValidationFailed, match="reopen it"):
        clocks(
            E.submitted(ny(f"{MON} 10:00"), 2),
            E.resolved(ny(f"{MON} 11:00")),
            E.severity_changed(ny(f"{MON} 12:00"), 3),
        )


# --------------------------------------------------------------------------- Breach


def test_breach_a_target_not_met_by_its_due_instant_is_breached_at_that_instant() -> None:
    submitted = E.submitted(ny(f"{MON} 10:00"), 2)
    s = clocks(submitted, as_of=ny(f"{MON} 15:59:59"))
    assert s.response.state is RUNNING
    s = clocks(submitted, as_of=ny(f"{MON} 16:00"))
    assert s.response.state is BREACHED and s.response.due == ny(f"{MON} 16:00")


def test_breach_stays_breached_even_if_met_later_and_the_met_instant_is_recorded() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.responded(ny(f"{MON} 16:30")))
    assert s.response.state is BREACHED
    assert s.response.met_at == ny(f"{MON} 16:30") and s.response.due == ny(f"{MON} 16:00")


def test_breach_met_exactly_at_the_due_instant_is_met() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.responded(ny(f"{MON} 16:00")))
    assert s.response.state is MET


def test_breach_met_exactly_at_the_due_instant_is_met_after_other_events_at_that_instant() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),  # restoration due 16:00
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 16:00")),
        E.restored(ny(f"{MON} 16:00")),
    )
    assert s.restoration.state is MET


def test_breach_stays_breached_through_a_later_severity_change() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 1), E.severity_changed(ny(f"{MON} 15:00"), 3))
    assert s.response.state is BREACHED and s.response.due == ny(f"{MON} 14:00")  # not Tuesday 10:00


def test_breach_stays_breached_when_a_severity_change_makes_the_target_not_applicable() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),
        E.responded(ny(f"{MON} 10:30")),
        E.severity_changed(ny(f"{MON} 17:00"), 4),
    )
    assert s.restoration.state is BREACHED and s.restoration.due == ny(f"{MON} 16:00")
    assert s.resolution.state is CANCELLED


# --------------------------------------------------------------------------- Reopen


def test_reopen_makes_resolution_unmet_again_and_the_time_until_reopening_does_not_count() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 10:30")),
        E.resolved(ny(f"{TUE} 10:00")),
        E.reopened(ny(f"{THU} 10:00")),
    )
    assert not s.resolved
    assert s.resolution.state is RUNNING and s.resolution.met_at is None
    assert s.resolution.due == ny("2026-03-25 10:00")  # 2 business days later than before
    assert s.post_mortem_due is None


def test_reopen_makes_restoration_unmet_again_if_only_resolving_met_it() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 10:30")),
        E.resolved(ny(f"{TUE} 10:00")),
        E.reopened(ny(f"{THU} 10:00")),
    )
    assert s.restoration.state is RUNNING and s.restoration.due == ny("2026-03-10 10:00")


def test_reopen_leaves_a_restoration_met_by_restored_met() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 10:30")),
        E.restored(ny(f"{MON} 12:00")),
        E.resolved(ny(f"{TUE} 10:00")),
        E.reopened(ny(f"{THU} 10:00")),
    )
    assert s.restoration.state is MET and s.restoration.met_at == ny(f"{MON} 12:00")
    assert s.response.state is MET


def test_reopen_a_breached_target_stays_breached_and_loses_its_met_instant() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),
        E.responded(ny(f"{MON} 10:30")),
        E.resolved(ny(f"{TUE} 10:00")),  # restoration (due Monday 16:00) was breached
        E.reopened(ny(f"{TUE} 11:00")),
    )
    assert s.restoration.state is BREACHED and s.restoration.met_at is None
    assert s.response.state is MET


def test_reopen_then_resolve_again_sets_a_new_post_mortem_due() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),
        E.responded(ny(f"{MON} 10:30")),
        E.resolved(ny(f"{MON} 12:00")),
        E.reopened(ny(f"{TUE} 10:00")),
        E.resolved(ny(f"{THU} 14:00")),
    )
    assert s.post_mortem_due == ny("2026-03-09 14:00")  # 2bd from Thursday 14:00
    assert s.resolution.met_at == ny(f"{THU} 14:00")


def test_reopen_a_case_that_is_not_resolved_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="only a resolved case can be reopened"):
        clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.reopened(ny(f"{MON} 11:00")))


# --------------------------------------------------------------------------- Third party


def test_third_party_closure_cancels_every_target_not_yet_met_breached_ones_included() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),  # response due 14:00: breached by 15:00
        E.resolved(ny(f"{MON} 15:00"), "third_party"),
    )
    assert s.response.state is CANCELLED
    assert s.restoration.state is CANCELLED and s.resolution.state is CANCELLED
    assert s.resolution.met_at is None


def test_third_party_closure_leaves_met_targets_met() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),
        E.responded(ny(f"{MON} 10:30")),
        E.resolved(ny(f"{MON} 15:00"), "third_party"),
    )
    assert s.response.state is MET


def test_third_party_closure_no_post_mortem_is_due() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 1), E.resolved(ny(f"{MON} 15:00"), "third_party"))
    assert s.post_mortem_due is None and s.resolution_code == "third_party"


def test_third_party_closure_reopened_restores_the_cancelled_targets() -> None:
    # Decision: reopening undoes the closure; the time between does not count.
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),
        E.resolved(ny(f"{MON} 15:00"), "third_party"),
        E.reopened(ny(f"{MON} 17:00")),
    )
    assert s.response.state is BREACHED and s.response.due == ny(f"{MON} 14:00")
    assert s.restoration.state is RUNNING and s.restoration.due == ny(f"{MON} 18:00")


# --------------------------------------------------------------------------- After the incident


def test_post_mortem_due_2_business_days_after_service_resolution_of_a_critical_case() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 1), E.responded(ny(f"{MON} 10:30")), E.resolved(ny(f"{THU} 14:00")))
    assert s.post_mortem_due == ny("2026-03-09 14:00")


def test_post_mortem_due_5_business_days_after_service_resolution_of_a_high_case() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.responded(ny(f"{MON} 10:30")), E.resolved(ny(f"{THU} 14:00")))
    assert s.post_mortem_due == ny("2026-03-12 14:00")


@pytest.mark.parametrize("severity", [3, 4])
def test_post_mortem_is_not_due_for_medium_or_low(severity: int) -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), severity), E.responded(ny(f"{MON} 10:30")), E.resolved(ny(f"{THU} 14:00"))
    )
    assert s.post_mortem_due is None


def test_post_mortem_due_on_the_accounts_calendar_at_the_severity_at_resolution() -> None:
    london = BusinessCalendar.from_dict(
        {"timezone": "Europe/London", "hours": {d: [["08:00", "12:00"]] for d in ("mon", "tue", "wed", "thu")}}
    )
    s = clocks(
        E.submitted(datetime.fromisoformat("2026-03-02T08:00:00+00:00"), 2),
        E.severity_changed(datetime.fromisoformat("2026-03-02T08:30:00+00:00"), 1),
        E.responded(datetime.fromisoformat("2026-03-02T08:35:00+00:00")),
        E.resolved(datetime.fromisoformat("2026-03-05T10:00:00+00:00")),  # Thursday
        calendar=london,
    )
    # 2bd = 2 x 4h; Thursday 10:00-12:00, then Monday and Tuesday mornings
    assert s.post_mortem_due == datetime.fromisoformat("2026-03-10T10:00:00+00:00")


# --------------------------------------------------------------------------- Warnings (issue 5)


def test_warning_when_75_percent_of_the_targets_time_is_used() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2))
    assert s.response.warning_at == ny(f"{MON} 14:30")  # 4.5 of 6 bh
    assert s.restoration.warning_at == ny(f"{THU} 10:00")  # 24 of 32 bh


def test_warning_moves_with_a_pause_that_begins_before_it() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 15:00")),
        E.resumed(ny(f"{WED} 11:00")),
    )
    assert s.restoration.warning_at == ny(f"{FRI} 14:00")  # 19 bh still to go at the pause


def test_warning_already_crossed_stays_when_a_pause_follows() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 1),  # restoration 6h: warning 14:30, due 16:00
        E.responded(ny(f"{MON} 10:30")),
        E.awaiting_reseller(ny(f"{MON} 15:00")),
        E.resumed(ny(f"{MON} 18:00")),
    )
    assert s.restoration.warning_at == ny(f"{MON} 14:30")
    assert s.restoration.due == ny(f"{MON} 19:00")


def test_warning_after_a_rise_counts_75_percent_of_the_new_duration_from_c() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.severity_changed(ny(f"{MON} 11:00"), 1))
    assert s.restoration.warning_at == ny(f"{MON} 15:30")  # 11:00 + 4.5h
    assert s.response.warning_at == ny(f"{MON} 14:00")  # 11:00 + 3h


def test_warning_already_crossed_before_a_severity_change_keeps_its_instant() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.severity_changed(ny(f"{MON} 15:00"), 1))
    # response: due stays 16:00 (15:00 + 4h is later); 1h left is not more than 25 % of 4h
    assert s.response.due == ny(f"{MON} 16:00")
    assert s.response.warning_at == ny(f"{MON} 14:30")


def test_warning_crossed_by_a_severity_change_is_at_the_change() -> None:
    raw = _shipped_raw()
    raw["packages"]["care_for_cloud"]["targets"]["1"]["response"] = "40h"
    policy = policy_from_dict(raw)
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), E.severity_changed(ny(f"{MON} 14:00"), 1), policy=policy)
    assert s.response.due == ny(f"{MON} 16:00")  # 2h left <= 25 % of 40h
    assert s.response.warning_at == ny(f"{MON} 14:00")


def test_warning_threshold_comes_from_the_policy() -> None:
    other = load_policy(Path(__file__).parent / "data" / "other-vendor.toml")
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), package="gold", policy=other)
    assert s.response.due == ny(f"{MON} 11:30")  # 90bm
    assert s.response.warning_at == ny(f"{MON} 10:45")  # 50 %
    assert s.restoration.due == ny(f"{TUE} 14:00")  # 1.5bd = 12bh


def test_warning_instant_is_only_given_for_running_and_breached_targets() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2), E.responded(ny(f"{MON} 10:30")), E.awaiting_reseller(ny(f"{MON} 11:00"))
    )
    assert s.response.warning_at is None and s.restoration.warning_at is None
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2), as_of=ny(f"{TUE} 10:00"))
    assert s.response.warning_at == ny(f"{MON} 14:30")


def test_next_due_is_the_earliest_running_due() -> None:
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 2))
    assert s.next_due == ny(f"{MON} 16:00")
    s = clocks(E.submitted(ny(f"{MON} 10:00"), 4), E.responded(ny(f"{MON} 10:30")))
    assert s.next_due is None


# --------------------------------------------------------------------------- histories and as_of


def test_as_of_defaults_to_the_last_event_and_ignores_later_events() -> None:
    events = (E.submitted(ny(f"{MON} 10:00"), 2), E.responded(ny(f"{MON} 17:00")))
    assert clocks(*events).as_of == ny(f"{MON} 17:00")
    s = clocks(*events, as_of=ny(f"{MON} 12:00"))
    assert s.response.state is RUNNING and s.response.met_at is None


def test_events_at_the_same_instant_keep_their_order() -> None:
    s = clocks(
        E.submitted(ny(f"{MON} 10:00"), 2),
        E.awaiting_reseller(ny(f"{MON} 10:00")),
        E.resumed(ny(f"{MON} 10:00")),
    )
    assert s.restoration.due == ny(f"{FRI} 10:00")


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ((E.responded(ny(f"{MON} 10:00")),), r"events\[0\]: the first event must be submitted"),
        ((E.submitted(ny(f"{MON} 10:00"), 2), E.submitted(ny(f"{MON} 11:00"), 2)), "already submitted"),
        ((E.submitted(ny(f"{MON} 10:00"), 2), E.resumed(ny(f"{MON} 11:00"))), "not awaiting the reseller"),
        (
            (
                E.submitted(ny(f"{MON} 10:00"), 2),
                E.awaiting_reseller(ny(f"{MON} 11:00")),
                E.awaiting_reseller(ny(f"{MON} 12:00")),
            ),
            "already awaiting",
        ),
        (
            (E.submitted(ny(f"{MON} 10:00"), 2), E.resolved(ny(f"{MON} 11:00")), E.resolved(ny(f"{MON} 12:00"))),
            "already resolved",
        ),
        (
            (
                E.submitted(ny(f"{MON} 10:00"), 2),
                E.resolved(ny(f"{MON} 11:00")),
                E.awaiting_reseller(ny(f"{MON} 12:00")),
            ),
            "resolved",
        ),
        (
            (E.submitted(ny(f"{MON} 10:00"), 2), E.resolved(ny(f"{MON} 11:00")), E.restored(ny(f"{MON} 12:00"))),
            "resolved",
        ),
        ((E.submitted(ny(f"{MON} 10:00"), 7),), r"events\[0\]\.severity: unknown severity 7"),
        ((E.submitted(ny(f"{MON} 10:00"), 2), E.severity_changed(ny(f"{MON} 11:00"), 0)), "unknown severity 0"),
        ((E.submitted(ny(f"{MON} 10:00"), 2), E.responded(ny(f"{MON} 09:00"))), r"events\[1\]\.at: out of time order"),
        ((), "at least the submitted event"),
    ],
)
def test_a_history_that_cannot_happen_is_refused_naming_the_event(events: tuple[SlaEvent, ...], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        clocks(*events)


def test_as_of_before_the_submission_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="before the case was submitted"):
        clocks(E.submitted(ny(f"{MON} 10:00"), 2), as_of=ny(f"{MON} 09:00"))


def test_an_sla_event_needs_an_aware_instant_and_the_right_fields() -> None:
    with pytest.raises(ValueError, match="aware"):
        SlaEvent.responded(datetime(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="needs a severity"):
        SlaEvent(SlaEvent.submitted(ny(f"{MON} 10:00"), 2).type, ny(f"{MON} 10:00"))
    with pytest.raises(ValueError, match="takes no severity"):
        SlaEvent(SlaEvent.responded(ny(f"{MON} 10:00")).type, ny(f"{MON} 10:00"), severity=2)
    with pytest.raises(ValueError, match="resolution code"):
        SlaEvent(SlaEvent.responded(ny(f"{MON} 10:00")).type, ny(f"{MON} 10:00"), code="x")
    with pytest.raises(ValueError, match="aware"):
        clocks(E.submitted(ny(f"{MON} 10:00"), 2), as_of=datetime(2026, 3, 2, 12))


def test_instants_are_held_in_utc_so_24x7_arithmetic_is_real_time() -> None:
    event = E.submitted(ny("2026-03-08 00:00"), 1)
    assert event.at.utcoffset() == timedelta(0)


def test_format_due_rounds_up_and_format_instant_truncates_to_the_second() -> None:
    t = datetime.fromisoformat("2026-03-02T10:00:00.000001+00:00")
    assert format_due(t) == "2026-03-02T10:00:01Z"
    assert format_instant(t) == "2026-03-02T10:00:00Z"
    assert format_due(ny(f"{MON} 10:00")) == "2026-03-02T15:00:00Z"
    assert format_due(None) is None and format_instant(None) is None


def _shipped_raw() -> dict[str, Any]:
    import tomllib
    from importlib import resources

    text = resources.files("caredesk.policies").joinpath("cloud-resellers-v4.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_24x7_targets_count_absolute_time_across_dst_even_from_a_named_zone() -> None:
    """DOMAIN.md Clocks: 24x7 targets (h, m) count absolute elapsed time."""
    from zoneinfo import ZoneInfo

    from caredesk.domain.sla.calendar import BusinessCalendar
    from caredesk.domain.sla.clocks import SlaEvent, fold_clocks
    from caredesk.domain.sla.policy import load_default_policy

    policy = load_default_policy()
    ny = ZoneInfo("America/New_York")
    # 2026-03-08 01:00 EST; the clocks jump to 03:00 EDT one hour later.
    submitted = datetime(2026, 3, 8, 1, 0, tzinfo=ny)
    state = fold_clocks(
        [SlaEvent.submitted(submitted, 2), SlaEvent.severity_changed(submitted, 1)],
        policy=policy,
        package=policy.package("business_care_for_cloud"),
        calendar=BusinessCalendar.default("America/New_York"),
        as_of=submitted,
    )
    # Restoration: 4h of real time = 06:00 UTC + 4h = 10:00 UTC (06:00 EDT), not 05:00 EDT.
    assert state.restoration.due == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
