"""Issue 4, "Live clocks": the stored targets must always equal what ``caredesk sla replay``
computes from the case's exported history.

Generated case histories are driven through the real services: seeded random walks of legal
actions (acknowledge, public comments, internal notes, awaiting the reseller, the DC's reply,
resume, restore, resolve with every code incl. third_party, reopen, close, severity changes by an
agent or a manager, raise-to-Critical after a phone call, DC proposals and Customer Care's
decisions, assignment) at increasing instants, with jumps to exact due instants, across DST and
holidays, for every support package. After every action the case is exported; at the end every
export is run through ``caredesk sla replay`` as a real subprocess, and each answer must equal the
case's stored clocks (``case.sla`` and its CaseTarget rows) as they were after that action. Each
walk is then imported back by a vendor admin and must come out with the same clocks and state.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from caredesk.cases import history, services
from caredesk.cases.models import Case, CaseStatus, CaseTarget, SeverityProposal
from caredesk.cases.timeline import audit_verify
from caredesk.domain.cases.lifecycle import CaseAction, CaseState, allowed_actions
from caredesk.domain.sla.clocks import format_due, format_instant
from caredesk.domain.tenancy.roles import Role
from caredesk.tenancy import services as tenancy_services
from caredesk.tenancy.models import User
from tests.conftest import World, case_payload

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SERVICE_OF = {
    "care_for_cloud": "pureengage_cloud",
    "business_care_for_cloud": "premier_edition",
    "pure_success": "outbound_engagement",
}
SEEDS = range(24)  # 72 walks, about 1,300 steps, in each of the two passes of .ci/run
WINDOW_START = datetime(2026, 1, 5, tzinfo=UTC)  # the subscriptions run 2026-01-01 .. 2027-12-31
WINDOW_DAYS = 270  # so the walks cross the DST change of 2026-03-08 and US holidays


@dataclass
class Walk:
    world: World
    package: str
    rng: random.Random
    now: datetime = WINDOW_START
    case_id: int = 0
    log: list[str] = field(default_factory=list)
    snapshots: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    # -- time

    def tick(self, case: Case) -> datetime:
        """The next instant: mostly forward by minutes, hours or days; sometimes exactly to a running
        target's due instant (met exactly at the due instant is met); rarely the same instant."""
        r = self.rng.random()
        dues = [
            datetime.fromisoformat(t["due"].replace("Z", "+00:00"))
            for t in case.sla.get("targets", {}).values()
            if t.get("state") == "running" and t.get("due")
        ]
        future = [d for d in dues if d > self.now]
        if r < 0.12 and future:
            self.now = self.rng.choice(future)
        elif r < 0.17:
            pass
        elif r < 0.50:
            self.now += timedelta(minutes=self.rng.randint(1, 59), seconds=self.rng.randint(0, 59))
        elif r < 0.82:
            self.now += timedelta(hours=self.rng.randint(1, 12), minutes=self.rng.randint(0, 59))
        else:
            self.now += timedelta(days=self.rng.randint(1, 6), hours=self.rng.randint(0, 23))
        return self.now

    # -- the case

    def case(self) -> Case:
        return Case.objects.get(pk=self.case_id)

    def open(self) -> None:
        w, rng = self.world, self.rng
        self.now = WINDOW_START + timedelta(
            days=rng.randint(0, WINDOW_DAYS), hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
        )
        payload = case_payload(w.a.account, service=SERVICE_OF[self.package], severity=rng.choice([2, 2, 3, 4]))
        payload["first_observed_at"] = self.now - timedelta(hours=rng.randint(0, 48))
        if self.package != "care_for_cloud" and rng.random() < 0.3:
            case = services.case_open_by_phone(
                actor=w.agent, on_behalf_of_id=w.a.dcs[1].pk, payload=payload, now=self.now
            )
            self.log.append(f"{self.now.isoformat()} opened by phone, severity {payload['severity']}")
        else:
            case = services.case_open(actor=w.a.dcs[0], payload=payload, now=self.now)
            self.log.append(f"{self.now.isoformat()} opened, severity {payload['severity']}")
        assert case.package == self.package
        self.case_id = case.pk
        self.snapshot()

    def care(self, case: Case) -> User:
        """Who from Customer Care acts: a manager when a manager's decision is final, else either."""
        if case.severity_final or self.rng.random() < 0.25:
            return self.world.manager
        return self.world.agent

    def choices(self, case: Case) -> list[str]:
        state = CaseState(case.status)
        care = {a.value for a in allowed_actions(state, Role.CARE_AGENT)}
        dc = {a.value for a in allowed_actions(state, Role.DESIGNATED_CONTACT)}
        menu: list[str] = []
        for action in ("acknowledge", "await_reseller", "resume", "restore", "resolve"):
            if action in care:
                menu += [action] * 2
        if CaseAction.RESPOND.value in care:
            menu += ["respond", "note"]
        if CaseAction.REPLY.value in dc:
            menu.append("reply")
        if CaseAction.REOPEN.value in dc:
            menu += ["reopen"] * 3
        if CaseAction.CLOSE.value in dc:
            menu.append("close")
        if state not in (CaseState.RESOLVED, CaseState.CLOSED):
            menu += ["severity", "severity", "propose", "assign"]
            if case.severity != 1:
                menu += ["raise"] * 2
        if state is not CaseState.CLOSED and self.pending(case) is not None:
            menu += ["decide"] * 3
        return menu

    def pending(self, case: Case) -> SeverityProposal | None:
        return SeverityProposal.objects.filter(case=case, status=SeverityProposal.Status.PENDING).first()

    def step(self) -> bool:
        case = self.case()
        menu = self.choices(case)
        if not menu:
            return False
        action = self.rng.choice(menu)
        at = self.tick(case)
        w, rng, cid = self.world, self.rng, case.pk
        dc = w.a.dcs[0]
        detail = ""
        if action == "acknowledge":
            services.case_acknowledge(actor=self.care(case), case_id=cid, now=at)
        elif action == "respond":
            services.case_comment(actor=self.care(case), case_id=cid, body="We are on it.", now=at)
        elif action == "note":
            services.case_comment(actor=w.agent, case_id=cid, body="SBC logs look odd.", internal=True, now=at)
        elif action == "reply":
            services.case_comment(actor=dc, case_id=cid, body="Here is what you asked for.", now=at)
        elif action == "await_reseller":
            services.case_await_reseller(actor=self.care(case), case_id=cid, message="Send a HAR file.", now=at)
        elif action == "resume":
            services.case_resume(actor=self.care(case), case_id=cid, now=at)
        elif action == "restore":
            services.case_restore(actor=self.care(case), case_id=cid, summary="Failed over.", now=at)
        elif action == "resolve":
            code = rng.choice(["solution", "solution", "workaround", "third_party"])
            detail = code
            services.case_resolve(actor=self.care(case), case_id=cid, code=code, summary="Fixed.", now=at)
        elif action == "reopen":
            services.case_reopen(actor=dc, case_id=cid, reason="It is back.", now=at)
        elif action == "close":
            services.case_close(actor=dc, case_id=cid, now=at)
        elif action == "severity":
            new = rng.choice([s for s in (2, 3, 4) if s != case.severity])
            detail = str(new)
            services.case_change_severity(
                actor=self.care(case), case_id=cid, severity=new, reason="re-assessed", now=at
            )
        elif action == "raise":
            earliest = max(case.submitted_at, at - timedelta(hours=3))
            call = earliest + (at - earliest) * rng.random()
            detail = f"call at {call.isoformat()}"
            services.case_raise_to_critical(
                actor=self.care(case), case_id=cid, phone_call_at=call, available_contact_id=dc.pk, now=at
            )
        elif action == "propose":
            new = rng.choice([s for s in (2, 3, 4) if s != case.severity])
            if self.pending(case) is not None:
                return True  # one pending proposal at a time; nothing happened
            detail = str(new)
            services.severity_propose(actor=dc, case_id=cid, severity=new, reason="impact changed", now=at)
        elif action == "decide":
            proposal = self.pending(case)
            assert proposal is not None
            accept = (
                proposal.severity != case.severity
                and case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
                and rng.random() < 0.6
            )
            detail = "accept" if accept else "reject"
            services.severity_decide(
                actor=self.care(case), case_id=cid, proposal_id=proposal.pk, accept=accept, reason="checked", now=at
            )
        elif action == "assign":
            services.case_assign(actor=w.agent, case_id=cid, assignee_id=rng.choice([w.agent.pk, w.manager.pk]), now=at)
        self.log.append(f"{at.isoformat()} {action} {detail}".rstrip())
        return self.snapshot().status != CaseStatus.CLOSED

    # -- what is checked

    def snapshot(self) -> Case:
        """The export as of now and the stored clocks it must replay to; the stored CaseTarget rows
        must say what case.sla says, and the case's status must agree with its clocks."""
        case = self.case()
        rows = {t.kind: t for t in CaseTarget.objects.filter(case=case)}
        assert set(rows) == {"response", "restoration", "resolution"}
        for kind, row in rows.items():
            stored = case.sla["targets"][kind]
            assert row.state == stored["state"], self.where(f"{kind} row {row.state} != case.sla {stored}")
            assert format_due(row.due_at) == stored["due"], self.where(f"{kind} due")
            assert format_instant(row.met_at) == stored["met_at"], self.where(f"{kind} met_at")
        assert case.severity == case.sla["severity"], self.where("case.severity != clocks' severity")
        paused = any(t["state"] == "paused" for t in case.sla["targets"].values())
        if paused:
            assert case.status == CaseStatus.AWAITING_RESELLER, self.where("paused clocks on a case not awaiting")
        targets = case.sla["targets"]
        if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            assert not any(t["state"] == "running" for t in targets.values()), self.where("running")
        if case.status == CaseStatus.AWAITING_RESELLER:
            assert "running" not in (targets["restoration"]["state"], targets["resolution"]["state"]), self.where(
                "a case awaiting the reseller with a pausable clock running"
            )
        if case.status == CaseStatus.NEW:
            assert targets["response"]["met_at"] is None, self.where("a new case with its response met")
        else:
            assert targets["response"]["met_at"] is not None, self.where("an answered case without a response")
        if case.status == CaseStatus.RESTORED:
            assert targets["restoration"]["state"] not in ("running", "paused"), self.where(
                "a restored case whose restoration clock still runs"
            )
        export = history.case_export(actor=self.world.agent, case_id=case.pk, now=self.now)
        export["id"] = len(self.snapshots)
        expected = {"id": len(self.snapshots), **case.sla}
        self.snapshots.append((export, expected))
        return case

    def where(self, message: str) -> str:
        return message + "\n  after:\n    " + "\n    ".join(self.log)


def replay_subprocess(tmp_path: Path, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    file = tmp_path / "exports.jsonl"
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = subprocess.run(
        [sys.executable, "-m", "caredesk.cli", "sla", "replay", str(file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def pure_success(world: World) -> None:
    tenancy_services.subscription_create(
        actor=world.admin,
        account_id=world.a.account.pk,
        service="outbound_engagement",
        package="pure_success",
        term_start=date(2026, 1, 1),
        term_end=date(2027, 12, 31),
    )


@pytest.mark.parametrize("package", list(SERVICE_OF))
def test_stored_targets_equal_the_replay_of_the_exported_history(
    world: World, pure_success: None, package: str, tmp_path: Path
) -> None:
    # Every seeded walk of the package in one world, and every step of every walk through ONE run
    # of the real command: the same checks as a test per walk, without 30 set-ups and processes.
    walks = []
    for seed in SEEDS:
        walk = Walk(world, package, random.Random(f"{package}/{seed}"))
        walk.open()
        for _ in range(walk.rng.randint(6, 32)):
            if not walk.step():
                break
        walks.append(walk)
    lines = [dict(export, id=f"{w}/{export['id']}") for w, walk in enumerate(walks) for export, _ in walk.snapshots]
    answers = iter(replay_subprocess(tmp_path, lines))
    for w, walk in enumerate(walks):
        exports = [export for export, _ in walk.snapshots]
        for export, expected in walk.snapshots:
            answer = next(answers)
            assert answer == {**expected, "id": f"{w}/{expected['id']}"}, walk.where(
                f"seed {SEEDS[w]}, step {expected['id']} (as of {export['as_of']}):\n  replay {answer}\n"
                f"  stored {expected}"
            )

        # A reseller's export leaves internal events out, but replays to the same clocks.
        final = walk.case()
        seen_by_dc = history.case_export(actor=world.a.dcs[0], case_id=final.pk, now=walk.now)
        assert not any(e["internal"] for e in seen_by_dc["timeline"])
        assert not any(c["internal"] for c in seen_by_dc["comments"])
        assert seen_by_dc["events"] == exports[-1]["events"] and seen_by_dc["as_of"] == exports[-1]["as_of"]

        # Imported back by a vendor admin: the same state and clocks, a whole chain, and its own
        # export still replays to its stored clocks.
        last = dict(exports[-1], id=final.pk)
        imported = history.case_import(actor=world.admin, data=json.loads(json.dumps(last)), now=walk.now)
        assert imported.sla == final.sla
        assert (imported.status, imported.severity, imported.resolution_code) == (
            final.status,
            final.severity,
            final.resolution_code,
        )
        assert imported.next_due_at == final.next_due_at
        again = history.case_export(actor=world.agent, case_id=imported.pk, now=walk.now)
        assert again["events"] == exports[-1]["events"] and again["as_of"] == exports[-1]["as_of"]
    assert next(answers, None) is None
    assert audit_verify().ok


# ------------------------------------------------------------------ rules the walks found


@pytest.mark.parametrize("how", ["agent raises to Medium", "raised to Critical by phone", "proposal accepted"])
def test_a_restore_recorded_at_low_severity_meets_restoration_when_a_new_severity_makes_it_apply(
    world: World, how: str
) -> None:
    """DOMAIN.md "Clocks": restoration is met when an agent records that service is restored. Found
    by the walks: a case restored while Low (no restoration target) and then raised had its
    restoration clock start running on a restored case, which may not be restored again, so it
    could only breach while the service was up."""
    t0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York
    dc, agent = world.a.dcs[0], world.agent
    payload = case_payload(world.a.account, severity=4)
    payload["first_observed_at"] = t0 - timedelta(hours=1)
    case = services.case_open(actor=dc, payload=payload, now=t0)
    services.case_restore(actor=agent, case_id=case.pk, summary="Failed over.", now=t0 + timedelta(hours=1))
    at = t0 + timedelta(hours=2)
    if how == "agent raises to Medium":
        services.case_change_severity(actor=agent, case_id=case.pk, severity=3, reason="more users", now=at)
    elif how == "raised to Critical by phone":
        services.case_raise_to_critical(
            actor=agent, case_id=case.pk, phone_call_at=at - timedelta(minutes=5), available_contact_id=dc.pk, now=at
        )
    else:
        proposal = services.severity_propose(
            actor=dc, case_id=case.pk, severity=2, reason="all agents now", now=at - timedelta(minutes=1)
        )
        services.severity_decide(
            actor=agent, case_id=case.pk, proposal_id=proposal.pk, accept=True, reason="agreed", now=at
        )
    case.refresh_from_db()
    restoration = case.sla["targets"]["restoration"]
    assert case.status == CaseStatus.RESTORED and case.severity in (1, 2, 3)
    assert restoration["state"] == "met", restoration
    assert CaseTarget.objects.get(case=case, kind="restoration").state == "met"
    export = history.case_export(actor=agent, case_id=case.pk, now=at)
    from caredesk.domain.sla.policy import load_default_policy
    from caredesk.domain.sla.replay import replay_request

    assert replay_request(export, policy=load_default_policy()) == {"id": case.pk, **case.sla}


def test_a_restoration_met_before_a_change_is_not_recorded_again(world: World) -> None:
    t0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    payload = case_payload(world.a.account, severity=3)
    payload["first_observed_at"] = t0 - timedelta(hours=1)
    case = services.case_open(actor=world.a.dcs[0], payload=payload, now=t0)
    services.case_restore(actor=world.agent, case_id=case.pk, summary="Failed over.", now=t0 + timedelta(hours=1))
    services.case_change_severity(
        actor=world.agent, case_id=case.pk, severity=4, reason="fewer users", now=t0 + timedelta(hours=2)
    )
    services.case_change_severity(
        actor=world.agent, case_id=case.pk, severity=2, reason="more users", now=t0 + timedelta(hours=3)
    )
    restored = [e.sla["at"] for e in case.events.filter(sla__type="restored") if e.sla]
    assert restored == [(t0 + timedelta(hours=1)).isoformat()]
