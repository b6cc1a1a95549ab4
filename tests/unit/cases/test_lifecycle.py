"""The case lifecycle (issue 4 item 3) and the severity rules of DOMAIN.md "The support policy is data"."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caredesk.domain.cases.lifecycle import (
    OPEN_STATES,
    CaseAction,
    CaseState,
    allowed_actions,
    check_channel,
    check_intake_severity,
    check_severity_change,
    check_severity_decision,
    check_severity_proposal,
    transition,
)
from caredesk.domain.errors import (
    ChannelNotAllowed,
    InvalidTransition,
    PermissionDenied,
    RuleViolation,
    SeverityOneProcedure,
    ValidationFailed,
)
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.clocks import EventType, SlaEvent, TargetState
from caredesk.domain.sla.policy import load_default_policy, load_policy, policy_from_dict
from caredesk.domain.sla.replay import replay
from caredesk.domain.tenancy.roles import Role

S, A = CaseState, CaseAction
DC, STAFF, AGENT, MANAGER, ADMIN, CSM = (
    Role.DESIGNATED_CONTACT,
    Role.RESELLER_STAFF,
    Role.CARE_AGENT,
    Role.CARE_MANAGER,
    Role.VENDOR_ADMIN,
    Role.CSM,
)
POLICY = load_default_policy()
DATA = Path(__file__).resolve().parents[1] / "sla" / "data"
CALL = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

# Every allowed (state, action) -> next state, for a case whose service was not restored.
ALLOWED = {
    (S.NEW, A.ACKNOWLEDGE): S.OPEN,
    (S.NEW, A.RESPOND): S.OPEN,
    (S.NEW, A.REPLY): S.NEW,
    (S.NEW, A.AWAIT_RESELLER): S.AWAITING_RESELLER,
    (S.NEW, A.RESTORE): S.RESTORED,
    (S.NEW, A.RESOLVE): S.RESOLVED,
    (S.OPEN, A.RESPOND): S.OPEN,
    (S.OPEN, A.REPLY): S.OPEN,
    (S.OPEN, A.AWAIT_RESELLER): S.AWAITING_RESELLER,
    (S.OPEN, A.RESTORE): S.RESTORED,
    (S.OPEN, A.RESOLVE): S.RESOLVED,
    (S.AWAITING_RESELLER, A.RESPOND): S.AWAITING_RESELLER,
    (S.AWAITING_RESELLER, A.REPLY): S.OPEN,
    (S.AWAITING_RESELLER, A.RESUME): S.OPEN,
    (S.AWAITING_RESELLER, A.RESTORE): S.RESTORED,
    (S.AWAITING_RESELLER, A.RESOLVE): S.RESOLVED,
    (S.RESTORED, A.RESPOND): S.RESTORED,
    (S.RESTORED, A.REPLY): S.RESTORED,
    (S.RESTORED, A.AWAIT_RESELLER): S.AWAITING_RESELLER,
    (S.RESTORED, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.RESPOND): S.RESOLVED,
    (S.RESOLVED, A.REPLY): S.RESOLVED,
    (S.RESOLVED, A.REOPEN): S.OPEN,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
}
DC_ACTIONS = {A.REPLY, A.REOPEN, A.CLOSE}


def actor_for(action: CaseAction) -> Role:
    return DC if action is A.REPLY else AGENT


def code_for(action: CaseAction) -> str | None:
    return "solution" if action is A.RESOLVE else None


# --------------------------------------------------------------------------- the state machine


@pytest.mark.parametrize(("state", "action"), list(ALLOWED))
def test_lifecycle_allowed_transition(state: CaseState, action: CaseAction) -> None:
    step = transition(state, action, role=actor_for(action), code=code_for(action))
    assert step.before is state and step.action is action
    assert step.after is ALLOWED[(state, action)]


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in CaseState for a in CaseAction if (s, a) not in ALLOWED])
def test_lifecycle_every_other_transition_is_invalid_and_names_state_and_action(
    state: CaseState, action: CaseAction
) -> None:
    with pytest.raises(InvalidTransition) as info:
        transition(state, action, role=actor_for(action), code=code_for(action))
    assert f"state '{state.value}'" in info.value.message
    assert f"action '{action.value}'" in info.value.message
    assert info.value.code == "invalid_transition"


def test_lifecycle_closed_is_final() -> None:
    assert allowed_actions(S.CLOSED, AGENT) == frozenset()
    with pytest.raises(InvalidTransition, match="open a new case"):
        transition(S.CLOSED, A.REOPEN, role=DC)


def test_lifecycle_a_case_is_closed_only_after_it_is_resolved() -> None:
    with pytest.raises(InvalidTransition, match="only a resolved case can be closed"):
        transition(S.OPEN, A.CLOSE, role=DC)


def test_lifecycle_refusals_explain_why() -> None:
    with pytest.raises(InvalidTransition, match="already awaiting the reseller"):
        transition(S.AWAITING_RESELLER, A.AWAIT_RESELLER, role=AGENT)
    with pytest.raises(InvalidTransition, match="not awaiting the reseller"):
        transition(S.OPEN, A.RESUME, role=AGENT)
    with pytest.raises(InvalidTransition, match="reopen it first"):
        transition(S.RESOLVED, A.RESTORE, role=AGENT)
    with pytest.raises(InvalidTransition, match="has had its first response"):
        transition(S.OPEN, A.ACKNOWLEDGE, role=AGENT)


@pytest.mark.parametrize("action", [A.RESUME, A.REPLY])
def test_lifecycle_resume_returns_to_restored_if_service_was_restored(action: CaseAction) -> None:
    step = transition(S.AWAITING_RESELLER, action, role=actor_for(action), restored=True)
    assert step.after is S.RESTORED
    assert step.sla_events == (EventType.RESUMED,)


def test_lifecycle_reopen_returns_to_restored_if_a_restore_action_met_restoration() -> None:
    assert transition(S.RESOLVED, A.REOPEN, role=DC, restored=True).after is S.RESTORED
    assert transition(S.RESOLVED, A.REOPEN, role=AGENT).after is S.OPEN


# --------------------------------------------------------------------------- who may act


@pytest.mark.parametrize("action", sorted(DC_ACTIONS))
def test_lifecycle_designated_contact_may_reply_reopen_and_close(action: CaseAction) -> None:
    state = S.RESOLVED if action is not A.REPLY else S.OPEN
    transition(state, action, role=DC)


@pytest.mark.parametrize("action", sorted(set(CaseAction) - DC_ACTIONS))
def test_lifecycle_designated_contact_may_not_work_the_case(action: CaseAction) -> None:
    with pytest.raises(PermissionDenied, match="Designated Contact may not"):
        transition(S.OPEN, action, role=DC, code=code_for(action))


@pytest.mark.parametrize("role", [AGENT, MANAGER, ADMIN])
@pytest.mark.parametrize("action", sorted(set(CaseAction) - {A.REPLY}))
def test_lifecycle_customer_care_does_the_rest(role: Role, action: CaseAction) -> None:
    state = next(s for (s, a) in ALLOWED if a is action)
    transition(state, action, role=role, code=code_for(action))


def test_lifecycle_customer_care_comments_with_respond_not_reply() -> None:
    with pytest.raises(PermissionDenied):
        transition(S.OPEN, A.REPLY, role=AGENT)


@pytest.mark.parametrize("role", [STAFF, CSM])
@pytest.mark.parametrize("action", list(CaseAction))
def test_lifecycle_reseller_staff_and_csm_may_do_nothing(role: Role, action: CaseAction) -> None:
    with pytest.raises(PermissionDenied):
        transition(S.RESOLVED, action, role=role, code=code_for(action))


def test_lifecycle_permission_is_checked_before_the_state() -> None:
    with pytest.raises(PermissionDenied):
        transition(S.CLOSED, A.RESOLVE, role=DC)


def test_lifecycle_allowed_actions_per_role() -> None:
    assert allowed_actions(S.RESOLVED, DC) == {A.REPLY, A.REOPEN, A.CLOSE}
    assert allowed_actions(S.NEW, DC) == {A.REPLY}
    assert allowed_actions(S.AWAITING_RESELLER, AGENT) == {A.RESPOND, A.RESUME, A.RESTORE, A.RESOLVE}
    assert allowed_actions(S.OPEN, STAFF) == frozenset()


# --------------------------------------------------------------------------- resolution codes


def test_lifecycle_resolve_needs_a_known_resolution_code() -> None:
    assert transition(S.OPEN, A.RESOLVE, role=AGENT, code="third_party").code == "third_party"
    with pytest.raises(ValidationFailed) as info:
        transition(S.OPEN, A.RESOLVE, role=AGENT)
    assert "code" in info.value.errors
    with pytest.raises(ValidationFailed, match="unknown resolution code 'magic'"):
        transition(S.OPEN, A.RESOLVE, role=AGENT, code="magic")
    with pytest.raises(ValidationFailed, match="only resolving"):
        transition(S.OPEN, A.RESPOND, role=AGENT, code="solution")


# --------------------------------------------------------------------------- the clocks it records


def test_lifecycle_every_customer_care_action_visible_to_the_reseller_records_a_response() -> None:
    for (state, action), _after in ALLOWED.items():
        step = transition(state, action, role=actor_for(action), code=code_for(action))
        visible = action in (A.ACKNOWLEDGE, A.RESPOND, A.AWAIT_RESELLER, A.RESTORE, A.RESOLVE)
        assert (EventType.RESPONDED in step.sla_events) is visible, (state, action)


def test_lifecycle_sla_events_for_pause_restore_and_resolve() -> None:
    assert transition(S.OPEN, A.AWAIT_RESELLER, role=AGENT).sla_events == (
        EventType.RESPONDED,
        EventType.AWAITING_RESELLER,
    )
    assert transition(S.AWAITING_RESELLER, A.RESTORE, role=AGENT).sla_events == (
        EventType.RESPONDED,
        EventType.RESUMED,
        EventType.RESTORED,
    )
    assert transition(S.OPEN, A.REPLY, role=DC).sla_events == ()
    assert transition(S.RESOLVED, A.CLOSE, role=DC).sla_events == ()
    assert transition(S.RESOLVED, A.REOPEN, role=DC).sla_events == (EventType.REOPENED,)


@st.composite
def walks(draw: st.DrawFn) -> list[tuple[CaseAction, Role, int]]:
    """A random walk through the lifecycle: (action, role, minutes since the previous step)."""
    state, restored, steps = S.NEW, False, []
    for _ in range(draw(st.integers(0, 15))):
        options = [a for a in CaseAction if a in {x for (s, x) in ALLOWED if s is state}]
        if not options:
            break
        action = draw(st.sampled_from(options))
        role = DC if action is A.REPLY else draw(st.sampled_from([DC, AGENT] if action in DC_ACTIONS else [AGENT]))
        step = transition(state, action, role=role, restored=restored, code=code_for(action))
        restored = restored or action is A.RESTORE
        state = step.after
        steps.append((action, role, draw(st.integers(0, 3000))))
    return steps


@settings(max_examples=150, deadline=None)
@given(walks(), st.integers(1, 4))
def test_lifecycle_every_walk_records_a_history_the_clocks_accept(
    steps: list[tuple[CaseAction, Role, int]], severity: int
) -> None:
    at = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    events = [SlaEvent.submitted(at, severity)]
    state, restored = S.NEW, False
    for action, role, minutes in steps:
        at += timedelta(minutes=minutes)
        step = transition(state, action, role=role, restored=restored, code=code_for(action))
        for kind in step.sla_events:
            events.append(SlaEvent(kind, at, code="solution" if kind is EventType.RESOLVED else None))
        if action is A.RESTORE:
            restored = True
        state = step.after
    clocks = replay(
        events,
        package="pure_success",
        policy=POLICY,
        calendar=BusinessCalendar.from_dict({"timezone": "Europe/London"}),
    )
    assert clocks.paused is (state is S.AWAITING_RESELLER)
    assert clocks.resolved is (state in (S.RESOLVED, S.CLOSED))
    if state is not S.NEW:
        assert clocks.response.met_at is not None  # no case leaves "new" without a response
    if state in (S.RESOLVED, S.CLOSED):
        for target in clocks.targets.values():
            assert target.state is not TargetState.RUNNING  # a closed case has no running clock
    if state is S.RESTORED and clocks.restoration.state is not TargetState.NOT_APPLICABLE:
        assert clocks.restoration.met_at is not None


# --------------------------------------------------------------------------- severity rules


def test_severity_one_is_never_opened_directly_by_a_reseller() -> None:
    with pytest.raises(SeverityOneProcedure) as info:
        check_intake_severity(severity=1, policy=POLICY)
    message = info.value.message
    assert "Severity 2 (High)" in message and "telephone" in message
    assert info.value.code == "severity_one_by_phone_only"
    for severity in (2, 3, 4):
        assert check_intake_severity(severity=severity, policy=POLICY) == severity


def test_severity_intake_of_an_unknown_severity_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed):
        check_intake_severity(severity=9, policy=POLICY)


def test_severity_another_policy_may_let_resellers_ask_for_any_severity() -> None:
    other = load_policy(DATA / "other-vendor.toml")
    assert check_intake_severity(severity=1, policy=other) == 1  # portal_max_severity = 1


def test_severity_another_policy_without_the_phone_procedure_refuses_plainly() -> None:
    raw = tomllib.loads((DATA / "other-vendor.toml").read_text())
    raw["intake"]["portal_max_severity"] = 2
    other = policy_from_dict(raw)
    with pytest.raises(RuleViolation) as info:
        check_intake_severity(severity=1, policy=other)
    assert not isinstance(info.value, SeverityOneProcedure)
    assert info.value.code == "severity_not_allowed" and "2 (Degraded)" in info.value.message
    check_severity_change(role=AGENT, current=2, new=1, reason="outage", policy=other)  # no phone call needed


def test_severity_designated_contact_proposes_with_a_reason() -> None:
    check_severity_proposal(role=DC, current=3, proposed=2, reason="all agents down", policy=POLICY)
    with pytest.raises(ValidationFailed) as info:
        check_severity_proposal(role=DC, current=3, proposed=2, reason="  ", policy=POLICY)
    assert "reason" in info.value.errors
    with pytest.raises(ValidationFailed):
        check_severity_proposal(role=DC, current=3, proposed=3, reason="same", policy=POLICY)


def test_severity_one_proposal_by_a_reseller_explains_the_high_then_phone_procedure() -> None:
    with pytest.raises(SeverityOneProcedure, match="telephone Customer Care"):
        check_severity_proposal(role=DC, current=2, proposed=1, reason="outage", policy=POLICY)


@pytest.mark.parametrize("role", [AGENT, MANAGER, STAFF, CSM])
def test_severity_only_a_designated_contact_proposes(role: Role) -> None:
    with pytest.raises(PermissionDenied):
        check_severity_proposal(role=role, current=3, proposed=2, reason="x", policy=POLICY)


def test_severity_a_designated_contact_never_applies_a_change() -> None:
    with pytest.raises(PermissionDenied, match="proposes a severity; Customer Care decides"):
        check_severity_change(role=DC, current=3, new=2, reason="x", policy=POLICY)
    with pytest.raises(PermissionDenied):
        check_severity_change(role=STAFF, current=3, new=2, reason="x", policy=POLICY)
    with pytest.raises(PermissionDenied):
        check_severity_decision(role=DC, accept=True, current=3, proposed=2, reason="x", policy=POLICY)
    with pytest.raises(PermissionDenied):
        check_severity_decision(role=DC, accept=False, current=3, proposed=2, reason="x", policy=POLICY)


@pytest.mark.parametrize("role", [AGENT, MANAGER, ADMIN])
def test_severity_an_agent_changes_severity_with_a_reason(role: Role) -> None:
    check_severity_change(role=role, current=3, new=2, reason="wider impact", policy=POLICY)
    check_severity_change(role=role, current=2, new=4, reason="question only", policy=POLICY)
    with pytest.raises(ValidationFailed):
        check_severity_change(role=role, current=3, new=2, reason="", policy=POLICY)
    with pytest.raises(ValidationFailed):
        check_severity_change(role=role, current=3, new=3, reason="x", policy=POLICY)
    with pytest.raises(ValidationFailed):
        check_severity_change(role=role, current=3, new=0, reason="x", policy=POLICY)


def test_severity_a_managers_decision_is_final_for_agents() -> None:
    with pytest.raises(PermissionDenied) as info:
        check_severity_change(role=AGENT, current=3, new=2, reason="x", policy=POLICY, decided_by_manager=True)
    assert info.value.code == "severity_decision_final"
    with pytest.raises(PermissionDenied):
        check_severity_decision(
            role=AGENT, accept=True, current=3, proposed=2, reason="x", policy=POLICY, decided_by_manager=True
        )
    for role in (MANAGER, ADMIN):
        check_severity_change(role=role, current=3, new=2, reason="x", policy=POLICY, decided_by_manager=True)
    # rejecting a proposal keeps the manager's decision, so an agent may do it
    check_severity_decision(
        role=AGENT, accept=False, current=3, proposed=2, reason="no", policy=POLICY, decided_by_manager=True
    )


def test_severity_raising_to_critical_records_the_phone_call_and_the_available_contact() -> None:
    with pytest.raises(ValidationFailed) as info:
        check_severity_change(role=AGENT, current=2, new=1, reason="outage", policy=POLICY)
    assert set(info.value.errors) == {"phone_call_at", "available_contact"}
    with pytest.raises(ValidationFailed) as info:
        check_severity_change(role=AGENT, current=2, new=1, reason="outage", policy=POLICY, phone_call_at=CALL)
    assert set(info.value.errors) == {"available_contact"}
    check_severity_change(
        role=AGENT, current=2, new=1, reason="outage", policy=POLICY, phone_call_at=CALL, available_contact="dc-7"
    )


def test_severity_accepting_a_proposal_is_a_change() -> None:
    check_severity_decision(role=AGENT, accept=True, current=3, proposed=2, reason="agreed", policy=POLICY)
    with pytest.raises(ValidationFailed):
        check_severity_decision(role=AGENT, accept=True, current=2, proposed=1, reason="agreed", policy=POLICY)
    with pytest.raises(ValidationFailed):
        check_severity_decision(role=AGENT, accept=False, current=3, proposed=2, reason="", policy=POLICY)


# --------------------------------------------------------------------------- channels


@pytest.mark.parametrize("channel", ["portal", "api"])
def test_channel_care_for_cloud_accepts_portal_and_api(channel: str) -> None:
    check_channel(policy=POLICY, package="care_for_cloud", channel=channel)


def test_channel_care_for_cloud_refuses_the_telephone() -> None:
    with pytest.raises(ChannelNotAllowed) as info:
        check_channel(policy=POLICY, package="care_for_cloud", channel="phone")
    assert "Care for Cloud" in info.value.message and "phone" in info.value.message
    assert isinstance(info.value, RuleViolation)


@pytest.mark.parametrize("package", ["business_care_for_cloud", "pure_success"])
def test_channel_business_care_and_pure_success_accept_the_telephone(package: str) -> None:
    check_channel(policy=POLICY, package=package, channel="phone")


def test_channel_unknown_channel_or_package() -> None:
    with pytest.raises(ValidationFailed, match="unknown channel"):
        check_channel(policy=POLICY, package="pure_success", channel="fax")
    with pytest.raises(ValidationFailed, match="unknown package"):
        check_channel(policy=POLICY, package="gold", channel="portal")


def test_channel_rules_come_from_the_policy() -> None:
    other = load_policy(DATA / "other-vendor.toml")
    check_channel(policy=other, package="bronze", channel="api")
    with pytest.raises(ChannelNotAllowed, match="Bronze accepts cases only through api"):
        check_channel(policy=other, package="bronze", channel="portal")


def test_open_states_are_those_being_worked() -> None:
    assert frozenset({S.NEW, S.OPEN, S.AWAITING_RESELLER, S.RESTORED}) == OPEN_STATES
