"""The demo data set of the README's quick start: vendor staff, two resellers with their Designated
Contacts, End User Accounts on real business calendars, and subscriptions. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

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
