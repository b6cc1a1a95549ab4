"""Who hears of what the sweep finds, and the notifications it enqueues (issue 5, item 2).

The policy's ``[escalation]`` says which severities escalate and who hears of them
(``assigned_agent``, ``care_managers``, ``csm``, ``designated_contacts``). Reminders of a
post-incident deadline go to the people who work it: the assigned agent, or the Customer Care
managers when nobody is assigned. Each alert's notification is a ``NotificationSpec`` with a
dedupe key per alert (``notice``); a batch of them is recorded through
``caredesk.notifications.services.notification_enqueue_many`` in the sweep's transaction, so they
exist exactly when the alert does. ``Audience.prefetch`` reads the people of a whole batch in a few
queries (assignees, managers, CSMs; designated contacts once per reseller and sweep), so a batch
costs the same number of queries whatever its number of alerts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from caredesk.cases.models import Case
from caredesk.domain.sla.policy import Policy
from caredesk.domain.tenancy.roles import CARE_ROLES, Role
from caredesk.notifications.services import NotificationSpec
from caredesk.sla.models import PolicyVersion
from caredesk.sla.services import policy_of
from caredesk.tenancy.models import EndUserAccount, User
from caredesk.tenancy.selectors import active_designated_contacts

CASE_FIELDS = ("id", "reseller_id", "account_id", "policy_id", "severity", "assignee_id", "title", "status")
"""The columns of a case the sweep reads (and locks)."""

_CARE = sorted(r.value for r in CARE_ROLES)


class Audience:
    """One sweep's cache of policies and people, so a batch costs a few queries, not a few per case."""

    def __init__(self) -> None:
        self._policies: dict[int, Policy] = {}
        self._managers: list[User] | None = None
        self._users: dict[int, User | None] = {}
        self._csms: dict[int, list[User]] = {}  # account id -> its active CSM (or nobody)
        self._contacts: dict[int, list[User]] = {}  # reseller id -> its active designated contacts

    def policy(self, case: Case) -> Policy:
        if case.policy_id not in self._policies:
            self._policies[case.policy_id] = policy_of(PolicyVersion.objects.get(pk=case.policy_id))
        return self._policies[case.policy_id]

    def escalates(self, case: Case) -> bool:
        return case.severity in self.policy(case).escalation.severities

    def prefetch(self, cases: Iterable[Case]) -> None:
        """Read the people these cases' notifications may name, for all of them at once."""
        batch = list(cases)
        wanted = {c.assignee_id for c in batch if c.assignee_id is not None} - set(self._users)
        if wanted:
            found = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True, role__in=_CARE)}
            self._users.update({pk: found.get(pk) for pk in wanted})
        named = {who for case in batch for who in self.policy(case).escalation.notify}
        if "care_managers" in named:
            self.managers()
        if "csm" in named:
            self._prefetch_csms({c.account_id for c in batch} - set(self._csms))
        if "designated_contacts" in named:
            self._prefetch_contacts({c.reseller_id for c in batch} - set(self._contacts))

    def _prefetch_csms(self, accounts: set[int]) -> None:
        if not accounts:
            return
        csm_of = dict(EndUserAccount.objects.filter(pk__in=accounts).values_list("pk", "csm_id"))
        people = {u.pk: u for u in User.objects.filter(pk__in={c for c in csm_of.values() if c}, is_active=True)}
        for account in accounts:
            csm = people.get(csm_of.get(account) or 0)
            self._csms[account] = [csm] if csm is not None else []

    def _prefetch_contacts(self, resellers: set[int]) -> None:
        # One query per reseller (through tenancy's selector), once per sweep: bounded by the
        # number of tenants, not of alerts.
        for reseller in sorted(resellers):
            self._contacts[reseller] = list(active_designated_contacts(reseller_id=reseller).order_by("pk"))

    def managers(self) -> list[User]:
        if self._managers is None:
            self._managers = list(User.objects.filter(role=Role.CARE_MANAGER.value, is_active=True).order_by("pk"))
        return self._managers

    def assignee(self, case: Case) -> User | None:
        if case.assignee_id is None:
            return None
        if case.assignee_id not in self._users:
            self.prefetch([case])
        return self._users.get(case.assignee_id)

    def escalation(self, case: Case) -> list[User]:
        """The people the policy's ``escalation.notify`` names for this case."""
        people: list[User] = []
        for who in self.policy(case).escalation.notify:
            if who == "assigned_agent":
                agent = self.assignee(case)
                people += [agent] if agent is not None else []
            elif who == "care_managers":
                people += self.managers()
            elif who == "csm":
                if case.account_id not in self._csms:
                    self._prefetch_csms({case.account_id})
                people += self._csms[case.account_id]
            elif who == "designated_contacts":
                if case.reseller_id not in self._contacts:
                    self._prefetch_contacts({case.reseller_id})
                people += self._contacts[case.reseller_id]
        return _unique(people)

    def workers(self, case: Case) -> list[User]:
        """Who works a post-incident deadline: the assigned agent, else the managers."""
        agent = self.assignee(case)
        return [agent] if agent is not None else self.managers()


def _unique(people: list[User]) -> list[User]:
    seen: set[int] = set()
    out = []
    for person in people:
        if person.pk not in seen:
            seen.add(person.pk)
            out.append(person)
    return out


def notice(
    *,
    case: Case,
    event_kind: str,
    recipients: list[User],
    subject: str,
    body: str,
    context: dict[str, Any],
    dedupe_key: str,
    public: bool,
) -> NotificationSpec | None:
    """The notification of one alert, for ``notification_enqueue_many`` in the caller's
    transaction; None when nobody is to hear of it. ``public`` news concerns the reseller too (its
    webhooks may subscribe); internal news does not."""
    if not recipients:
        return None
    return NotificationSpec(
        event_kind=event_kind,
        recipients=recipients,
        subject=subject,
        body=body,
        context={"case_id": case.pk, "case_title": case.title, "severity": case.severity, **context},
        dedupe_key=dedupe_key,
        reseller_id=case.reseller_id if public else None,
        link=f"/cases/{case.pk}",
    )
