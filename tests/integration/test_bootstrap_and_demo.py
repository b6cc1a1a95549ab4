"""The `caredesk bootstrap` and `caredesk demo` commands, run for real."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from caredesk.cases.clocks import clock_state
from caredesk.cases.models import Case, CaseEvent, CaseTarget
from caredesk.cases.timeline import audit_verify
from caredesk.incidents.models import PostMortem
from caredesk.tenancy.models import ApiToken, Reseller, User
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_bootstrap_creates_the_first_admin_and_a_working_token() -> None:
    out = io.StringIO()
    call_command("bootstrap", admin_email="Boss@Vendor.test", stdout=out)
    secret = re.search(r"(cdk_\S+)", out.getvalue())
    assert secret is not None
    admin = User.objects.get(email="boss@vendor.test")
    assert admin.role == "vendor_admin" and admin.is_superuser
    assert ApiClient(secret.group(1)).get("/api/me").json()["email"] == "boss@vendor.test"
    assert not ApiToken.objects.filter(digest=secret.group(1)).exists()
    with pytest.raises(CommandError, match="exists already"):
        call_command("bootstrap", admin_email="second@vendor.test", stdout=io.StringIO())


def test_bootstrap_refuses_a_malformed_email_and_creates_nothing() -> None:
    with pytest.raises(CommandError, match="e-mail"):
        call_command("bootstrap", admin_email="not-an-email", stdout=io.StringIO())
    assert User.objects.count() == 0 and ApiToken.objects.count() == 0


def test_demo_is_idempotent_and_every_reseller_can_open_cases() -> None:
    call_command("demo", stdout=io.StringIO())
    counts = (User.objects.count(), Reseller.objects.count())
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert (User.objects.count(), Reseller.objects.count()) == counts
    assert "dc1@northwind.demo" in out.getvalue() and "agent@caredesk.demo" in out.getvalue()
    for reseller in Reseller.objects.all():
        assert reseller.users.filter(role="designated_contact", is_active=True).count() >= 2


def test_the_demo_brings_five_months_of_cases_worked_through_the_services() -> None:
    out = io.StringIO()
    call_command("demo", stdout=out)
    made = int(re.search(r"Demo case history: (\d+) cases", out.getvalue()).group(1))  # type: ignore[union-attr]
    cases = Case.objects.all()
    assert made == cases.count() >= 40
    assert {c.reseller.name for c in cases.select_related("reseller")} == {
        "Northwind Telecom",
        "Contoso Cloud Partners",
    }
    assert (timezone.now() - min(c.submitted_at for c in cases)).days >= 120  # months for the reports' trend
    statuses = Counter(cases.values_list("status", flat=True))
    assert statuses["resolved"] and statuses["open"] + statuses["new"] + statuses["restored"] >= 5
    buckets = Counter(CaseTarget.objects.values_list("kind", "state"))
    assert buckets["response", "met"] and buckets["response", "breached"] and buckets["restoration", "running"]
    critical = cases.get(severity=1)  # raised by telephone, resolved: its post-mortem is owed
    assert critical.status == "resolved" and PostMortem.objects.filter(case=critical).exists()
    # Every case's stored clocks are the engine's answer for its history, and every chain holds.
    for case in cases.select_related("policy"):
        last_sla = CaseEvent.objects.filter(case=case, sla__isnull=False).order_by("-seq").first()
        assert last_sla is not None
        assert case.sla == clock_state(case, as_of=last_sla.at).to_json(), case.pk
    assert audit_verify().broken == []
    # Idempotent: a second run makes nothing, a user's own cases are never mixed in.
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "case history" not in again.getvalue() and Case.objects.count() == made


def test_the_demo_without_history_makes_no_cases() -> None:
    call_command("demo", "--no-history", stdout=io.StringIO())
    assert Reseller.objects.count() == 2 and not Case.objects.exists()
