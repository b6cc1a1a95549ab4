"""Issue 8, item 4 (scale-out): every table whose rows belong to one tenant carries the tenant key
``reseller`` (nullable only where vendor staff have rows of the same kind), so that a sharded
PostgreSQL such as Citus can distribute it by reseller (docs/scaling.md).

The walk is the tenant export's own (``caredesk.ops.backup.tenant_fk`` decides what the tenant key
is and ``scope`` what a tenant's snapshot takes), over every model Django knows, ours and the
libraries'. The tables without the key are named below with the reason; a new table is neither
until someone adds the key or names it here, so a table without the key fails this test."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Q

from caredesk.ops import backup
from caredesk.tenancy.models import Reseller

# Vendor-wide reference data: every tenant reads the same rows (a tenant snapshot takes them whole).
VENDOR_WIDE = {
    "sla.policyversion": "the support policy's versions: one policy for every reseller",
    "maintenance.maintenancenotice": "a notice reaches many resellers; maintenance.noticereseller, one row per "
    "reseller reached, carries the key",
    "knowledge.advisory": "service advisories, published to every reseller",
    "knowledge.article": "the knowledge base, read by every reseller",
}
# The installation's own state: no tenant's data.
INSTALLATION = {
    "sweep.sweepstate": "the sweep's lease and watermark, one row per installation",
    "notifications.deliverywakeup": "the delivery worker's next wake-up, one row",
    "tenancy.ratecounter": "rate-limit windows keyed by token or client address, minutes of life",
    "reports.dayblock": "derived: every tenant's SLA targets of one day, packed for the reports and rebuilt "
    "from the cases whenever they differ; never exported in a tenant's snapshot",
}
# Django's and the libraries' tables.
FRAMEWORK = {
    "admin.logentry": "the Django admin's log: only vendor admins may use the admin",
    "auth.permission": "Django's permission catalogue (recreated by migrate); roles decide, not permissions",
    "auth.group": "never written: roles decide, no group is created",
    "auth.group_permissions": "never written: no group is created",
    "tenancy.user_groups": "never written: the admin hides groups, roles decide",
    "tenancy.user_user_permissions": "never written: the admin hides permissions, roles decide",
    "contenttypes.contenttype": "Django's catalogue of models (recreated by migrate)",
    "sessions.session": "a browser's session, keyed by its random id, before and after log-in; expires",
    "django_tasks_database.dbtaskresult": "the task queue: payloads carry ids only, a row lives until it has run",
    "axes.accessattempt": "log-in attempts, before anyone is known: keyed by user name and address",
    "axes.accessattemptexpiration": "the expiry of an axes.accessattempt",
    "axes.accessfailurelog": "failed log-ins, before anyone is known: keyed by user name and address",
    "axes.accesslog": "log-ins and log-outs by user name and address (vendor staff and resellers alike)",
}
WITHOUT_KEY = {**VENDOR_WIDE, **INSTALLATION, **FRAMEWORK}


def every_model() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m is not Reseller  # the tenant itself: distributed by id
    ]


@pytest.mark.parametrize("model", every_model(), ids=lambda m: m._meta.label_lower)
def test_every_table_of_one_tenant_carries_the_tenant_key(model: type[models.Model]) -> None:
    label = model._meta.label_lower
    key = backup.tenant_fk(model)
    if label in WITHOUT_KEY:
        assert key is None, f"{label} has the tenant key now: drop it from the exceptions of this test"
        return
    assert key is not None, (
        f"{label} ({model._meta.db_table}) has no tenant key: add `reseller` (the tenant its rows belong "
        "to; null only for vendor staff's rows) with a migration that fills it, set it on every write "
        "path, and list the table in docs/scaling.md; or, if its rows belong to no tenant, name it with "
        "the reason in tests/architecture/test_tenant_key.py"
    )
    assert key.related_model is Reseller, f"{label}.reseller points at {key.related_model}, not the tenant"


def test_the_exceptions_are_tables_that_exist() -> None:
    known = {m._meta.label_lower for m in every_model()}
    assert not set(WITHOUT_KEY) - known, f"stale exceptions: {sorted(set(WITHOUT_KEY) - known)}"


def test_the_tenant_export_agrees_on_what_belongs_to_no_tenant() -> None:
    """A tenant's snapshot takes the vendor-wide tables whole, leaves the installation's state out,
    and takes every other table of ours by its own tenant key, never through another table."""
    assert set(VENDOR_WIDE) == backup.SHARED
    assert set(INSTALLATION) == backup.INSTALLATION | backup.SKIPPED
    for model in backup.tables():
        label = model._meta.label_lower
        condition = backup.scope(model, reseller_id=1)
        if label in VENDOR_WIDE:
            assert condition == backup.EVERYTHING, label
        elif label in INSTALLATION:
            assert condition is None, label
        elif model is not Reseller:
            assert condition is not None and "reseller_id" in lookups(condition), label


def lookups(condition: Q) -> set[str]:
    """The field lookups a condition names (without evaluating the subqueries it may hold)."""
    names: set[str] = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= lookups(child)
        elif isinstance(child, tuple):
            names.add(str(child[0]))
    return names
