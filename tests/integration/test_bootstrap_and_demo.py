"""The `caredesk bootstrap` and `caredesk demo` commands, run for real."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

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
