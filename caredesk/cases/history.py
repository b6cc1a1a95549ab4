"""A case's history out and in: the export (any user who may see the case) and the import (a vendor
admin migrating cases, with their original timestamps, from another caredesk or another helpdesk).

The export is one JSON object, and one line of ``caredesk sla replay`` input as it stands::

    {"format": "caredesk.case-export/1", "exported_at": INSTANT,
     "id": case id, "package": P, "calendar": CAL, "as_of": INSTANT, "events": [SLA event, ...],
     "policy": "cloud-resellers@4",
     "case": {intake fields, state, people as {"id", "name", "role", "email"}},
     "clocks": the stored targets ({"severity", "targets", "post_mortem_due"}, the replay answer),
     "comments": [{"id", "author", "body", "internal", "created_at"}],
     "timeline": [{"seq", "at", "kind", "actor", "actor_role", "channel", "internal", "data", "sla",
                   "prev_hash", "hash"}]}

``as_of`` is the instant the stored clocks were computed: the ``at`` of the last timeline event
that carries an SLA event (a phone call raised to Critical is dated at the call, but the clocks are
computed when the agent records it). So ``caredesk sla replay`` on an export answers exactly the
stored ``clocks``. A timeline entry holds every hashed field, so anyone can re-check the chain:
``hash = sha256(prev_hash + "\\n" + canonical JSON of {case: id, seq, at, actor: actor.id,
actor_role, channel, kind, internal, data, sla})``. A reseller's export leaves out internal notes and
internal events (and the e-mail addresses of vendor staff); SLA events are never internal.

The import takes that shape (``timeline``, ``comments``, ``clocks``, ``as_of``, ``policy`` and
``calendar`` optional; ``events`` alone is enough for another helpdesk's data) and, in one
transaction, creates the case under the account's reseller, its comments, and its timeline with the
original instants, rebuilt into a new hash chain whose events carry channel ``import`` and where
they came from (``data.imported``); then it recomputes the clocks from the imported SLA history and
appends ``case_imported``. Everything is validated first and every problem is reported at once,
by path (``events[3].at``, ``timeline[2].actor``, ``case.title``): nothing is half-created. A person
is named by e-mail; one not found here leaves the event to the system actor (comments and the case's
opener to the importing admin) and keeps the original name in ``data.imported``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.clocks import clocks_refresh
from caredesk.cases.history_checks import FORMAT, INTAKE_FIELDS, plan_import
from caredesk.cases.models import Case, CaseEvent, Comment
from caredesk.cases.selectors import case_get_for_actor, comment_list_for_actor
from caredesk.cases.timeline import case_event_append
from caredesk.domain.errors import PermissionDenied, ValidationFailed
from caredesk.domain.tenancy.roles import Role, is_vendor
from caredesk.tenancy.models import User

IMPORT_CHANNEL = "import"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _utc_micro(value: datetime) -> str:
    """An instant exactly as the hash chain hashes it (UTC, to the microsecond)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


# --------------------------------------------------------------------------- export


def _person(user: User | None, *, full: bool) -> dict[str, Any] | None:
    if user is None:
        return None
    person: dict[str, Any] = {"id": user.pk, "name": user.name, "role": user.role}
    if full:
        person["email"] = user.email
    return person


def case_export(*, actor: User, case_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The case's history as ``actor`` may see it (404 for a case they may not see)."""
    case = case_get_for_actor(actor=actor, case_id=case_id)
    vendor = is_vendor(actor.role_enum)

    def person(user: User | None) -> dict[str, Any] | None:
        # A reseller's export names vendor staff without their e-mail addresses.
        return _person(user, full=vendor or (user is not None and user.reseller_id == case.reseller_id))

    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq"))
    sla_events = [e for e in events if e.sla is not None]
    comments = comment_list_for_actor(actor=actor, case=case)
    fields = {name: getattr(case, name) for name in INTAKE_FIELDS}
    fields["first_observed_at"] = _iso(case.first_observed_at)
    return {
        "format": FORMAT,
        "exported_at": _iso(now or clock_now()),
        "id": case.pk,
        "package": case.package,
        "calendar": case.calendar,
        "as_of": _iso(sla_events[-1].at if sla_events else case.submitted_at),
        "events": [e.sla for e in sla_events],
        "policy": case.policy.key,
        "case": {
            **fields,
            "account_id": case.account_id,
            "account_name": case.account.name,
            "reseller_id": case.reseller_id,
            "channel": case.channel,
            "severity": case.severity,
            "status": case.status,
            "severity_final": case.severity_final,
            "opened_by": person(case.opened_by),
            "recorded_by": person(case.recorded_by),
            "assignee": person(case.assignee),
            "critical_contact": person(case.critical_contact),
            "submitted_at": _iso(case.submitted_at),
            "restored_at": _iso(case.restored_at),
            "resolved_at": _iso(case.resolved_at),
            "resolution_code": case.resolution_code,
            "resolution_summary": case.resolution_summary,
            "closed_at": _iso(case.closed_at),
            "version": case.version,
        },
        "clocks": case.sla,
        "comments": [
            {
                "id": c.pk,
                "author": person(c.author),
                "body": c.body,
                "internal": c.internal,
                "created_at": _iso(c.created_at),
            }
            for c in comments
        ],
        "timeline": [
            {
                "seq": e.seq,
                "at": _utc_micro(e.at),
                "kind": e.kind,
                "actor": person(e.actor),
                "actor_role": e.actor_role,
                "channel": e.channel,
                "internal": e.internal,
                "data": e.data,
                "sla": e.sla,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in events
            if vendor or not e.internal
        ],
    }


# --------------------------------------------------------------------------- import


@transaction.atomic
def case_import(*, actor: User, data: object, now: datetime | None = None) -> Case:
    """Create a case from an exported (or mapped) history, with its original instants; see the
    module docstring. Vendor admins only. Raises ``ValidationFailed`` with every problem by path."""
    at = now or clock_now()
    if actor.role_enum is not Role.VENDOR_ADMIN:
        raise PermissionDenied("Only a vendor admin imports case histories.")
    if not isinstance(data, dict):
        raise ValidationFailed("expected a JSON object", errors={"body": "expected a case export object"})
    plan = plan_import(data, actor=actor, now=at)
    case = Case.objects.create(
        reseller_id=plan.account.reseller_id,
        account=plan.account,
        policy=plan.version,
        package=plan.package,
        calendar=plan.calendar,
        updated_at=at,
        **plan.fields,
    )
    new_ids: dict[Any, int] = {}
    for ref, author, body, internal, created_at in plan.comments:
        comment = Comment.objects.create(
            case=case, reseller_id=case.reseller_id, author=author, body=body, internal=internal, created_at=created_at
        )
        if ref is not None:
            new_ids[ref] = comment.pk
    for entry in plan.entries:
        content = dict(entry.data)
        if entry.comment_ref is not None:
            # The source's comment id means nothing here: link the imported comment, keep the source id.
            content.pop("comment", None)
            content["imported"] = {**content.get("imported", {}), "comment": entry.comment_ref}
            if entry.comment_ref in new_ids:
                content["comment"] = new_ids[entry.comment_ref]
        case_event_append(
            case=case,
            actor=entry.actor,
            kind=entry.kind,
            at=entry.at,
            channel=IMPORT_CHANNEL,
            data=content,
            sla=entry.sla,
            internal=entry.internal,
        )
    case_event_append(case=case, actor=actor, kind="case_imported", at=at, channel=IMPORT_CHANNEL, data=plan.provenance)
    state = clocks_refresh(case, at=plan.as_of, created=True)
    assert state.to_json() == plan.state.to_json()
    case.save(update_fields=["next_due_at", "sla"])
    return case
