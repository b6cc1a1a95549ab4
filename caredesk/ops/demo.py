"""The demo data set of the README's quick start: vendor staff, two resellers with their Designated
Contacts, End User Accounts on real business calendars, subscriptions, and five months of cases
worked through the real services (``demo_history_load``). Idempotent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from caredesk.domain.cases.intake import LEVEL1_CHECKLIST
from caredesk.domain.tenancy.roles import Role
from caredesk.tenancy import services
from caredesk.tenancy.models import EndUserAccount, Reseller, User

DEMO_PASSWORD = "caredesk-demo-2026"  # noqa: S105 -- printed by the demo on purpose


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    reseller: str


def _user(admin: User, email: str, name: str, role: Role, reseller: Reseller | None, **extra: object) -> User:
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing
    return services.user_create(
        actor=admin,
        email=email,
        name=name,
        role=role.value,
        reseller_id=reseller.pk if reseller else None,
        password=DEMO_PASSWORD,
        channel="cli",
        **extra,  # type: ignore[arg-type]
    )


def _reseller(admin: User, name: str) -> Reseller:
    return Reseller.objects.filter(name=name).first() or services.reseller_create(actor=admin, name=name)


def _account(
    admin: User,
    reseller: Reseller,
    name: str,
    department: str,
    country: str,
    calendar: dict[str, object],
    csm: User | None,
    subscriptions: list[tuple[str, str, str]],
) -> EndUserAccount:
    account = EndUserAccount.objects.filter(reseller=reseller, name=name, department=department).first()
    if account is None:
        account = services.account_create(
            actor=admin,
            reseller_id=reseller.pk,
            name=name,
            department=department,
            country=country,
            calendar=calendar,
            csm_id=csm.pk if csm else None,
        )
        for service, package, deployment_tz in subscriptions:
            services.subscription_create(
                actor=admin,
                account_id=account.pk,
                service=service,
                package=package,
                term_start=min(date(2026, 1, 1), date.today()),
                term_end=max(date(2028, 12, 31), date.today() + timedelta(days=3 * 365)),
                deployment_timezone=deployment_tz,
            )
    return account


@transaction.atomic
def demo_load() -> list[DemoLogin]:
    admin = User.objects.filter(email="admin@caredesk.demo").first()
    if admin is None:
        founder = User(email="demo@caredesk.invalid", name="demo", role=Role.VENDOR_ADMIN.value)
        admin = services.user_create(
            actor=founder,
            email="admin@caredesk.demo",
            name="Vera Admin",
            role=Role.VENDOR_ADMIN.value,
            password=DEMO_PASSWORD,
            channel="cli",
        )
    _user(admin, "agent@caredesk.demo", "Arjun Agent", Role.CARE_AGENT, None)
    _user(admin, "manager@caredesk.demo", "Maria Manager", Role.CARE_MANAGER, None)
    csm = _user(admin, "csm@caredesk.demo", "Chen CSM", Role.CSM, None)

    northwind = _reseller(admin, "Northwind Telecom")
    _user(
        admin,
        "dc1@northwind.demo",
        "Nadia Northwind",
        Role.DESIGNATED_CONTACT,
        northwind,
        phone="+1 212 555 0101",
        available_24x7=True,
        timezone_name="America/New_York",
    )
    _user(
        admin,
        "dc2@northwind.demo",
        "Noah Northwind",
        Role.DESIGNATED_CONTACT,
        northwind,
        phone="+1 212 555 0102",
        timezone_name="America/New_York",
    )
    _user(admin, "staff@northwind.demo", "Nina Staff", Role.RESELLER_STAFF, northwind, timezone_name="America/New_York")

    contoso = _reseller(admin, "Contoso Cloud Partners")
    _user(
        admin,
        "dc1@contoso.demo",
        "Clara Contoso",
        Role.DESIGNATED_CONTACT,
        contoso,
        phone="+44 20 7946 0001",
        available_24x7=True,
        timezone_name="Europe/London",
    )
    _user(
        admin,
        "dc2@contoso.demo",
        "Colin Contoso",
        Role.DESIGNATED_CONTACT,
        contoso,
        phone="+44 20 7946 0002",
        timezone_name="Europe/London",
    )

    _account(
        admin,
        northwind,
        "Acme Retail",
        "Contact Centre",
        "US",
        {"timezone": "America/New_York", "holiday_country": "US"},
        csm,
        [
            ("pureengage_cloud", "business_care_for_cloud", "America/New_York"),
            ("premier_edition", "care_for_cloud", ""),
        ],
    )
    _account(
        admin,
        northwind,
        "Initech Health",
        "Patient Line",
        "US",
        {
            "timezone": "America/Chicago",
            "hours": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holiday_country": "US",
        },
        None,
        [("outbound_engagement", "care_for_cloud", "")],
    )
    _account(
        admin,
        contoso,
        "Globex Insurance",
        "Claims",
        "GB",
        {"timezone": "Europe/London", "holiday_country": "GB", "holiday_subdivision": "ENG"},
        csm,
        [
            ("outbound_engagement", "pure_success", ""),
            ("social_analytics", "pure_success", ""),
            ("pureengage_cloud", "pure_success", "Europe/London"),
        ],
    )

    return [
        DemoLogin("admin@caredesk.demo", "vendor admin", "—"),
        DemoLogin("agent@caredesk.demo", "Customer Care agent", "—"),
        DemoLogin("manager@caredesk.demo", "Customer Care manager", "—"),
        DemoLogin("csm@caredesk.demo", "CSM", "—"),
        DemoLogin("dc1@northwind.demo", "Designated Contact", "Northwind Telecom"),
        DemoLogin("staff@northwind.demo", "reseller staff", "Northwind Telecom"),
        DemoLogin("dc1@contoso.demo", "Designated Contact", "Contoso Cloud Partners"),
    ]


# --------------------------------------------------------------------------- a case history

HISTORY_DAYS = 150
"""How far back the demo's cases go: the reports' default period (this month and the five before)
has months to show, and the what-if something to replay."""

_TITLES = (
    "Agents cannot log in from the Chicago site",
    "Outbound campaign stops dialling after 10:00",
    "Call recordings missing for the night shift",
    "Wallboard shows zero calls in queue",
    "IVR plays the holiday message on a working day",
    "Social listening feed stopped updating",
    "Transfers to the billing queue drop",
    "Reports show last week's totals",
    "Supervisor cannot barge in on calls",
    "CRM screen pop opens the wrong customer",
    "Email routing sends replies to the wrong team",
    "Agents logged out every 20 minutes",
)


def _intake(
    *,
    dc: User,
    account: EndUserAccount,
    service: str,
    severity: int,
    title: str,
    observed: datetime,
    users: int,
    frequency: str,
    impact: str,
    steps: str,
    hours: str = "Mon-Fri 08:00-18:00",
) -> dict[str, object]:
    """A complete intake of ``dc`` for ``account``, the Level 1 checklist done."""
    return {
        "kind": "incident",
        "account_id": account.pk,
        "department": account.department,
        "service": service,
        "severity": severity,
        "title": title,
        "users_affected": users,
        "frequency": frequency,
        "first_observed_at": observed,
        "business_impact": impact,
        "steps_to_reproduce": steps,
        "local_contact": f"{dc.name}, {dc.phone or '+1 212 555 0100'}",
        "impacted_working_hours": hours,
        "impacted_timezone": account.calendar.get("timezone", "UTC"),
        "level1": dict.fromkeys(LEVEL1_CHECKLIST, True),
    }


def _history_case(
    rng: random.Random,
    *,
    dc: User,
    agent: User,
    account: EndUserAccount,
    service: str,
    severity: int,
    at: datetime,
    now: datetime,
    title: str,
) -> None:
    """One case opened by ``dc`` at ``at`` and worked by ``agent`` through the real services, each
    step at its own past instant, stopping at ``now``: answered in time or late, restored,
    resolved (now and then by a third party, or reopened), or left waiting for the reseller."""
    from caredesk.cases import services as cases

    payload = _intake(
        dc=dc,
        account=account,
        service=service,
        severity=severity,
        title=title,
        observed=at - timedelta(hours=rng.randint(1, 20)),
        users=rng.choice([3, 12, 40, 150]),
        frequency=rng.choice(["constant", "intermittent", "once"]),
        impact="Customers wait longer than the service level allows; supervisors work around it by hand.",
        steps="Sign in as an agent of the affected site and follow the usual call flow.",
    )
    case = cases.case_open(actor=dc, payload=payload, channel="portal", now=at)
    # Hours after submission of each step: quick for most, late for some (a breach to report).
    late = rng.random() < 0.25
    steps = [
        ("ack", rng.uniform(6, 40) if late else rng.uniform(0.1, 1.5)),
        ("restore", rng.uniform(30, 200) if late else rng.uniform(3, 40)),
        ("resolve", rng.uniform(150, 600) if late else rng.uniform(40, 300)),
    ]
    when = at
    for step, hours in steps:
        when = max(at + timedelta(hours=hours), when + timedelta(minutes=rng.randint(10, 120)))
        if when > now:
            return  # still open: a countdown on the home page and the queue
        if step == "ack":
            cases.case_assign(actor=agent, case_id=case.pk, assignee_id=agent.pk, channel="portal", now=when)
            cases.case_comment(
                actor=agent,
                case_id=case.pk,
                body="Thank you, we are looking into it and will update you within the hour.",
                channel="portal",
                now=when,
            )
            if rng.random() < 0.15:
                asked = when + timedelta(minutes=30)
                if asked > now:
                    return
                cases.case_await_reseller(
                    actor=agent,
                    case_id=case.pk,
                    message="Could you send the call ids of two affected calls?",
                    channel="portal",
                    now=asked,
                )
                answered = asked + timedelta(hours=rng.uniform(2, 30))
                if answered > now:
                    return  # waiting for the reseller: the clocks are paused
                cases.case_comment(
                    actor=dc, case_id=case.pk, body="Call ids: 7781-2201, 7781-2274.", channel="portal", now=answered
                )
                when = answered
        elif step == "restore":
            cases.case_restore(
                actor=agent,
                case_id=case.pk,
                summary="Service restored: the affected component was restarted and traffic moved back.",
                channel="portal",
                now=when,
            )
        else:
            third_party = rng.random() < 0.1
            cases.case_resolve(
                actor=agent,
                case_id=case.pk,
                code="third_party" if third_party else rng.choice(["solution", "workaround"]),
                summary="The carrier's change caused it." if third_party else "Root cause fixed and deployed.",
                channel="portal",
                now=when,
            )


def demo_history_load(*, now: datetime | None = None) -> int:
    """A deterministic case history of the demo resellers over the last ``HISTORY_DAYS`` days, made
    through the same services the pages call, each step at its own instant: answered in time and
    late, restored, resolved, waiting for the reseller, still open; and one case raised to
    Critical by telephone and resolved, with its post-mortem due. Skipped when the demo resellers
    have cases already (so it is idempotent and never mixes with a user's own cases). The number
    of cases made."""
    from caredesk.cases import services as cases
    from caredesk.cases.models import Case

    at = now or timezone.now()
    demo_resellers = Reseller.objects.filter(name__in=["Northwind Telecom", "Contoso Cloud Partners"])
    if Case.objects.filter(reseller__in=demo_resellers).exists():
        return 0
    agent = User.objects.get(email="agent@caredesk.demo")
    rng = random.Random(2026)  # demo data, not a secret
    plan = [
        ("dc1@northwind.demo", "Acme Retail", ["pureengage_cloud", "premier_edition"]),
        ("dc2@northwind.demo", "Initech Health", ["outbound_engagement"]),
        ("dc1@contoso.demo", "Globex Insurance", ["outbound_engagement", "social_analytics", "pureengage_cloud"]),
    ]
    start = at - timedelta(days=HISTORY_DAYS)
    made = 0
    for email, account_name, services_of in plan:
        dc = User.objects.get(email=email)
        account = EndUserAccount.objects.get(reseller=dc.reseller, name=account_name)
        for i in range(16):
            # Spread over the period, busier lately; the last three of each account in the last
            # three days, still open (countdowns on the home page and the queue).
            if i < 13:
                submitted = start + timedelta(days=HISTORY_DAYS * (1 - (1 - (i + rng.random()) / 13) ** 1.4))
            else:
                submitted = at - timedelta(hours=rng.uniform(1, 72))
            _history_case(
                rng,
                dc=dc,
                agent=agent,
                account=account,
                service=services_of[i % len(services_of)],
                severity=rng.choices([2, 3, 4], weights=[3, 5, 2])[0],
                at=submitted,
                now=at,
                title=_TITLES[(i + made) % len(_TITLES)],
            )
            made += 1

    # A High case the DC telephoned about: raised to Critical, restored, resolved; the post-mortem
    # is then due (the sweep reminds Customer Care of it).
    dc = User.objects.get(email="dc1@northwind.demo")
    account = EndUserAccount.objects.get(reseller=dc.reseller, name="Acme Retail")
    opened = at - timedelta(days=9, hours=3)
    critical = cases.case_open(
        actor=dc,
        payload=_intake(
            dc=dc,
            account=account,
            service="pureengage_cloud",
            severity=2,
            title="All inbound calls fail with a busy tone",
            observed=opened - timedelta(minutes=20),
            users=320,
            frequency="constant",
            impact="No customer can reach the contact centre.",
            steps="Call the main number from any phone.",
            hours="24x7",
        ),
        channel="portal",
        now=opened,
    )
    called = opened + timedelta(minutes=5)
    cases.case_raise_to_critical(
        actor=agent,
        case_id=critical.pk,
        phone_call_at=called,
        available_contact_id=dc.pk,
        notes="The DC called the Critical line; all inbound routing fails.",
        now=called + timedelta(minutes=3),
    )
    cases.case_acknowledge(actor=agent, case_id=critical.pk, channel="portal", now=called + timedelta(minutes=10))
    cases.case_restore(
        actor=agent,
        case_id=critical.pk,
        summary="Inbound routing restored after failing over to the second SIP trunk.",
        channel="portal",
        now=called + timedelta(hours=2),
    )
    cases.case_resolve(
        actor=agent,
        case_id=critical.pk,
        code="solution",
        summary="A certificate on the primary SIP trunk had expired; renewed and monitored.",
        channel="portal",
        now=called + timedelta(days=2),
    )
    return made + 1
