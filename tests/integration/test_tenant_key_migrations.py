"""Issue 8, item 4 (scale-out): the migrations that gave idempotency answers, e-mail deliveries and
notification preferences their tenant key fill it in for the rows written before them, from the
person each row belongs to (null for vendor staff), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from caredesk.cases.models import IdempotencyRecord
from caredesk.notifications.models import EmailDelivery, NotificationPreference

pytestmark = pytest.mark.django_db(transaction=True)


def _people(model: Any, person: str) -> set[tuple[int, int | None]]:
    """(person id, tenant key) of every row of ``model``."""
    return set(model.objects.values_list(f"{person}_id", "reseller_id"))


BEFORE = [("cases", "0004_case_due_indexes"), ("notifications", "0001_initial")]
AFTER = [("cases", "0005_tenant_key"), ("notifications", "0002_tenant_key")]


def test_the_migrations_fill_the_key_of_existing_rows_from_their_person() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        reseller = old.get_model("tenancy", "Reseller").objects.create(name="Old Reseller")
        user = old.get_model("tenancy", "User")
        dc = user.objects.create(email="dc@old.test", name="DC", role="designated_contact", reseller_id=reseller.pk)
        agent = user.objects.create(email="agent@vendor.test", name="Agent", role="care_agent")
        notification = old.get_model("notifications", "Notification").objects.create(
            dedupe_key="old", event_kind="case_opened", reseller_id=reseller.pk, subject="s", body="b"
        )
        for person in (dc, agent):
            old.get_model("cases", "IdempotencyRecord").objects.create(
                user_id=person.pk, key="k", method="POST", path="/api/cases", request_hash="0" * 64
            )
            old.get_model("notifications", "EmailDelivery").objects.create(
                notification_id=notification.pk,
                dedupe_key="old",
                recipient_id=person.pk,
                to_address=person.email,
                message_id=f"<old.{person.pk}@caredesk>",
            )
            old.get_model("notifications", "NotificationPreference").objects.create(
                user_id=person.pk, event_kind="*", email=False
            )
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        expected = {(dc.pk, reseller.pk), (agent.pk, None)}
        assert _people(IdempotencyRecord, "user") == expected
        assert _people(EmailDelivery, "recipient") == expected
        assert _people(NotificationPreference, "user") == expected
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
