"""Issue 8, item 8: ``caredesk export`` writes a consistent snapshot of everything or of one tenant
(JSON Lines per table, manifest, attachment files) and ``caredesk import`` restores it into an
empty database: every table comes back row for row (a second export is byte-identical), every
timeline hash chain verifies, the files are back, and a non-empty database is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from bench.seed import seed
from caredesk.cases import services
from caredesk.cases.attachments import attachment_upload
from caredesk.cases.models import Attachment, Case, CaseEvent, Comment
from caredesk.cases.timeline import audit_verify
from caredesk.tenancy.models import ApiToken, Reseller, User
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def _work(world: World) -> None:
    """A few more kinds of rows: actions on a case, an attachment (a file in storage), seeded cases."""
    case_id = world.a.extra_ids.get("case_id") or world.b.extra_ids["case_id"]
    case = Case.objects.get(pk=case_id)
    dc = User.objects.get(pk=case.opened_by_id)
    services.case_acknowledge(actor=world.agent, case_id=case.pk)
    services.case_comment(actor=dc, case_id=case.pk, body="Still failing at 09:10.")
    attachment_upload(actor=dc, case_id=case.pk, filename="agent.log", data=b"09:10 login timeout on desk 4\n")
    seed(cases=30, resellers=2, accounts_per=2, agents=3, batch=30, now=datetime(2026, 11, 20, tzinfo=UTC), files=True)


def _export(out: Path, *args: str) -> dict[str, object]:
    call_command("export", *args, str(out))
    return json.loads((out / "manifest.json").read_text())


def _wipe() -> None:
    for name in Attachment.objects.values_list("storage_name", flat=True):
        default_storage.delete(name)
    call_command("flush", interactive=False, verbosity=0)


def _same_tables(a: Path, b: Path) -> None:
    for path in sorted(a.glob("*.jsonl")):
        assert path.read_bytes() == (b / path.name).read_bytes(), path.name
    assert sorted(p.name for p in a.glob("*.jsonl")) == sorted(p.name for p in b.glob("*.jsonl"))


def test_everything_round_trips_row_for_row_with_every_chain_and_file(world: World, tmp_path: Path) -> None:
    _work(world)
    before = {"cases": Case.objects.count(), "events": CaseEvent.objects.count(), "comments": Comment.objects.count()}
    manifest = _export(tmp_path / "all")
    assert manifest["reseller"] is None and manifest["files"] == Attachment.objects.count() > 1
    tables = manifest["tables"]
    assert isinstance(tables, dict) and tables["cases.case"]["rows"] == before["cases"]
    assert "tenancy.ratecounter" not in tables
    stored = Attachment.objects.get(filename="agent.log").storage_name
    _wipe()
    assert Case.objects.count() == 0 and not default_storage.exists(stored)

    call_command("import", str(tmp_path / "all"))
    assert {
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "comments": Comment.objects.count(),
    } == (before)
    report = audit_verify()
    assert report.ok and report.case_chains == before["cases"]
    with default_storage.open(stored, "rb") as f:
        assert f.read() == b"09:10 login timeout on desk 4\n"
    _export(tmp_path / "again")
    _same_tables(tmp_path / "all", tmp_path / "again")
    # New rows get fresh ids after a restore (sequences moved past the restored ones).
    services.case_comment(actor=world.agent, case_id=Case.objects.order_by("id").first().pk, body="after restore")

    with pytest.raises(CommandError, match="not empty"):
        call_command("import", str(tmp_path / "all"))


def test_a_tenant_snapshot_holds_that_tenant_and_what_it_needs_and_nothing_of_others(
    world: World, tmp_path: Path
) -> None:
    _work(world)
    a = world.b.reseller.pk  # tenant B has cases, a proposal, requests and the attachment
    own_cases = Case.objects.filter(reseller_id=a).count()
    manifest = _export(tmp_path / "a", "--reseller", str(a))
    assert manifest["reseller"] == a
    assert "sweep.sweepstate" in manifest["left_out"]  # the installation's own state stays behind
    _wipe()
    call_command("import", str(tmp_path / "a"))
    assert list(Reseller.objects.values_list("pk", flat=True)) == [a]
    assert Case.objects.count() == own_cases > 0
    assert not User.objects.exclude(reseller_id=a).exclude(reseller__isnull=True).exists()
    assert not ApiToken.objects.exclude(reseller_id=a).exists(), "no vendor or other-tenant token leaks"
    assert audit_verify().ok
    _export(tmp_path / "a2", "--reseller", str(a))
    _same_tables(tmp_path / "a", tmp_path / "a2")


def test_import_refuses_a_directory_that_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a caredesk export"):
        call_command("import", str(tmp_path))


def test_a_tenant_snapshot_takes_its_peoples_mail_answers_and_choices_and_not_vendor_staffs(
    world: World, tmp_path: Path
) -> None:
    """Rows keyed by their person's reseller (docs/scaling.md): the tenant's people's e-mails, with the
    vendor-wide notices they were mailed (so that they restore), their idempotency answers and
    preferences; none of vendor staff's, even about the tenant's own cases."""
    from caredesk.cases.models import IdempotencyRecord
    from caredesk.notifications import services as notifications
    from caredesk.notifications.models import EmailDelivery, Notification, NotificationPreference

    b, dc, agent = world.b.reseller.pk, world.b.dcs[0], world.agent
    for key, reseller_id, people in (
        ("vendor-wide", None, [dc, agent]),
        ("about-b", b, [dc, agent]),
        ("vendor-internal", None, [agent]),
        ("about-a", world.a.reseller.pk, [world.a.dcs[0], agent]),
    ):
        notifications.notification_enqueue(
            event_kind="case_opened",
            recipients=people,
            subject=key,
            body="body",
            context={},
            dedupe_key=key,
            reseller_id=reseller_id,
        )
    for person in (dc, agent):
        notifications.notification_preferences_update(actor=person, email_default=False)
        world.client(person).post("/api/cases", {}, HTTP_IDEMPOTENCY_KEY=f"key-{person.pk}")
    _export(tmp_path / "b", "--reseller", str(b))
    _wipe()
    call_command("import", str(tmp_path / "b"))
    mine = EmailDelivery.objects.filter(dedupe_key__in=["vendor-wide", "about-b", "vendor-internal", "about-a"])
    assert not EmailDelivery.objects.exclude(reseller_id=b).exists()
    assert set(mine.values_list("dedupe_key", "recipient_id", "reseller_id")) == {
        ("vendor-wide", dc.pk, b),
        ("about-b", dc.pk, b),
    }
    kept = set(Notification.objects.values_list("dedupe_key", flat=True))
    assert {"vendor-wide", "about-b"} <= kept and not kept & {"vendor-internal", "about-a"}
    assert set(Notification.objects.values_list("reseller_id", flat=True)) == {b, None}
    assert list(NotificationPreference.objects.values_list("user_id", "reseller_id")) == [(dc.pk, b)]
    assert list(IdempotencyRecord.objects.values_list("key", "reseller_id")) == [(f"key-{dc.pk}", b)]
    _export(tmp_path / "b2", "--reseller", str(b))
    _same_tables(tmp_path / "b", tmp_path / "b2")
