"""The case forms of the portal and the console, each through its happy path and its refusals:
the open-a-case wizard (Level 1 checklist, then every field; inline validation by the same check
as the submit), the case page's lifecycle actions, severity proposals, raise to Critical, the
queue's filters and bulk assignment, phone intake and attachments."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from django.utils import timezone

from caredesk.cases import services as case_services
from caredesk.cases.models import Attachment, Case, Comment
from caredesk.domain.cases.intake import LEVEL1_CHECKLIST
from caredesk.tenancy import services as tenancy_services
from tests.conftest import PASSWORD, World
from tests.portal.conftest import login
from tests.portal.support import assert_page, open_case

pytestmark = pytest.mark.django_db

YES = {f"level1.{item}": "yes" for item in LEVEL1_CHECKLIST}
LOG_WITH_DATA = b"2026-11-27 10:01:02 INFO call from +1 212 555 0199 to queue Sales\n"


def details(world: World, **overrides: Any) -> dict[str, Any]:
    """Step 2 of the wizard, filled in as a DC would (times in the DC's zone, UTC here)."""
    observed = timezone.localtime(timezone.now() - timedelta(hours=2), UTC).strftime("%Y-%m-%dT%H:%M")
    form = {
        "step": "details",
        "kind": "incident",
        **YES,
        "issue_in_third_party_application": "no",
        "account_id": str(world.a.account.pk),
        "department": "Contact Centre",
        "service": "pureengage_cloud",
        "severity": "2",
        "title": "Chicago agents cannot log in",
        "users_affected": "40",
        "frequency": "constant",
        "first_observed_at": observed,
        "business_impact": "Inbound queue unstaffed.",
        "steps_to_reproduce": "Log in from Chicago.",
        "local_contact": "Pat Doe, +1 312 555 0188",
        "impacted_working_hours": "Mon-Fri 08:00-18:00",
        "impacted_timezone": "America/Chicago",
        "details.campaign_name": "Winter renewals",
    }
    form.update(overrides)
    return form


# --------------------------------------------------------------------------- the wizard


def test_the_wizard_asks_the_level1_checklist_first_and_names_every_unanswered_item(world: World) -> None:
    client = login(world.a.dcs[0])
    assert "Level 1 checklist" in assert_page(client.get("/cases/new/"))
    body = assert_page(client.post("/cases/new/", {"step": "checklist", "level1.help_consulted": "yes"}), 422)
    assert body.count("required: true or false") == len(LEVEL1_CHECKLIST) - 1
    body = assert_page(client.post("/cases/new/", {"step": "checklist", **YES}))
    assert "2. Details" in body and 'name="level1.problem_reproduced" value="yes"' in body


@pytest.mark.parametrize(
    ("answer", "words"),
    [({"issue_in_third_party_application": "yes"}, "third-party"), ({"kind": "sow_change"}, "Statement of Work")],
)
def test_the_checklist_refuses_what_is_not_a_case_saying_where_it_goes(
    world: World, answer: dict[str, str], words: str
) -> None:
    body = assert_page(login(world.a.dcs[0]).post("/cases/new/", {"step": "checklist", **YES, **answer}), 422)
    assert words in body and Case.objects.filter(reseller=world.a.reseller).count() == 0


def test_a_reseller_with_fewer_than_two_designated_contacts_is_told_at_the_first_step(world: World) -> None:
    reseller = tenancy_services.reseller_create(actor=world.admin, name="Solo Reseller")
    solo = tenancy_services.user_create(
        actor=world.admin,
        email="solo@solo.test",
        name="Solo DC",
        role="designated_contact",
        reseller_id=reseller.pk,
        password=PASSWORD,
    )
    body = assert_page(login(solo).post("/cases/new/", {"step": "checklist", **YES}), 422)
    assert "at least 2" in body


def test_opening_a_case_in_the_portal_records_every_field_and_the_portal_channel(world: World) -> None:
    response = login(world.a.dcs[0]).post("/cases/new/", details(world))
    case = Case.objects.get(reseller=world.a.reseller)
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.pk}/"
    assert case.channel == "portal" and case.severity == 2 and case.users_affected == 40
    assert case.level1 == dict.fromkeys(LEVEL1_CHECKLIST, True)
    assert case.additional_details == {"campaign_name": "Winter renewals"}


def test_a_details_form_with_bad_fields_shows_one_message_per_field_and_keeps_the_answers(world: World) -> None:
    form = details(world, title="", users_affected="-4", impacted_timezone="Mars/Olympus", first_observed_at="soon")
    body = assert_page(login(world.a.dcs[0]).post("/cases/new/", form), 422)
    assert 'id="err-title" role="alert">required<' in body
    assert 'id="err-users-affected" role="alert">required: a whole number, 0 or more<' in body
    assert "unknown IANA time zone" in body and "Mars/Olympus" in body
    assert 'id="err-first-observed-at" role="alert">required' in body
    assert "Chicago" in body  # what was typed stays
    assert not Case.objects.filter(reseller=world.a.reseller).exists()


def test_severity_one_in_the_portal_is_refused_with_the_telephone_procedure(world: World) -> None:
    body = assert_page(login(world.a.dcs[0]).post("/cases/new/", details(world, severity="1")), 422)
    assert "telephone" in body and not Case.objects.filter(reseller=world.a.reseller).exists()


def test_reseller_staff_cannot_open_cases(world: World) -> None:
    client = login(world.a.staff)
    assert client.get("/cases/new/").status_code == 403
    assert client.post("/cases/new/", details(world)).status_code == 403


def test_inline_validation_shows_the_errors_of_the_fields_filled_in_and_of_the_one_just_left(world: World) -> None:
    client = login(world.a.dcs[0])
    form = {"step": "details", **YES, "users_affected": "-1", "_trigger": "title", "title": ""}
    body = client.post("/cases/new/validate/", form, headers={"HX-Request": "true"}).content.decode()
    assert 'id="err-users-affected" hx-swap-oob="true" role="alert">required: a whole number' in body
    assert 'id="err-title" hx-swap-oob="true" role="alert">required<' in body
    assert 'id="err-business-impact" hx-swap-oob="true"></p>' in body  # not touched yet: no message
    body = client.post("/cases/new/validate/", details(world, _trigger="title")).content.decode()
    assert "role=" not in body  # a valid form: every slot empty


def test_inline_validation_gives_the_severity_one_procedure_as_the_submit_would(world: World) -> None:
    body = login(world.a.dcs[0]).post("/cases/new/validate/", details(world, severity="1")).content.decode()
    assert 'id="intake-rule" hx-swap-oob="true"' in body and "telephone" in body


def test_the_service_list_follows_the_account_and_shows_its_current_advisories(world: World) -> None:
    from caredesk.knowledge import services as knowledge

    client = login(world.a.dcs[0])
    options = client.get("/cases/new/services/", {"account_id": world.a.account.pk}).content.decode()
    assert 'value="pureengage_cloud"' in options and 'value="premier_edition"' in options
    foreign = client.get("/cases/new/services/", {"account_id": world.b.account.pk}).content.decode()
    assert "pureengage_cloud" not in foreign
    knowledge.advisory_publish(actor=world.manager, service="pureengage_cloud", title="Login delays", body="Soon.")
    body = client.get("/cases/new/advisories/", {"service": "pureengage_cloud"}).content.decode()
    assert "Login delays" in body


# --------------------------------------------------------------------------- the case page


def act(client: Any, case: Case, action: str, **form: Any) -> Any:
    case.refresh_from_db()
    return client.post(f"/cases/{case.pk}/actions/{action}/", {"version": case.version, **form})


def test_customer_care_works_a_case_through_every_lifecycle_action(world: World) -> None:
    case = open_case(world.a)
    agent, dc = login(world.agent), login(world.a.dcs[0])
    page = assert_page(agent.get(f"/cases/{case.pk}/"))
    assert "Acknowledge" in page and "Reopen" not in page  # buttons from lifecycle.allowed_actions
    assert act(agent, case, "acknowledge").status_code == 302
    assert act(agent, case, "await_reseller", message="Which site?").status_code == 302
    case.refresh_from_db()
    assert case.status == "awaiting_reseller"
    assert "paused" in assert_page(dc.get(f"/cases/{case.pk}/"))
    assert act(dc, case, "comment", body="Chicago.").status_code == 302
    case.refresh_from_db()
    assert case.status == "open"
    assert act(agent, case, "restore", summary="Failover to the backup SBC.").status_code == 302
    assert act(agent, case, "resolve", code="solution", summary="Certificate renewed.").status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved"
    assert "Close the case" in assert_page(dc.get(f"/cases/{case.pk}/"))
    assert act(dc, case, "reopen", reason="It came back.").status_code == 302
    assert act(agent, case, "resolve", code="workaround", summary="Restart nightly.").status_code == 302
    assert act(dc, case, "close").status_code == 302
    case.refresh_from_db()
    people = case.events.exclude(actor=None)  # the post-mortem the resolution opened is the system's
    assert case.status == "closed" and {e.channel for e in people} == {"portal"}


def test_a_refused_action_is_shown_next_to_its_form_with_the_services_words(world: World) -> None:
    case = open_case(world.a)
    agent = login(world.agent)
    body = assert_page(act(agent, case, "await_reseller", message="  "), 422)
    assert "say what you need from the reseller" in body
    body = assert_page(act(agent, case, "resolve", code="magic", summary="x"), 422)
    assert "unknown resolution code" in body
    body = assert_page(act(login(world.a.dcs[0]), case, "close"), 409)
    assert "only a resolved case can be closed" in body


def test_an_action_on_a_case_changed_meanwhile_is_refused_as_stale(world: World) -> None:
    case = open_case(world.a)
    agent = login(world.agent)
    old_version = case.version
    case_services.case_comment(actor=world.a.dcs[0], case_id=case.pk, body="More news.")
    response = agent.post(f"/cases/{case.pk}/actions/acknowledge/", {"version": old_version})
    assert "changed since you read it" in assert_page(response, 412)


def test_an_internal_note_never_reaches_the_reseller(world: World) -> None:
    case = open_case(world.a)
    assert act(login(world.agent), case, "comment", body="Suspect their SBC.", internal="on").status_code == 302
    assert Comment.objects.get(case=case).internal
    for user in (world.a.dcs[0], world.a.staff):
        assert "Suspect their SBC" not in login(user).get(f"/cases/{case.pk}/").content.decode()
    assert "Suspect their SBC" in login(world.agent).get(f"/cases/{case.pk}/").content.decode()


def test_reseller_staff_read_a_case_but_have_no_forms_and_cannot_act(world: World) -> None:
    case = open_case(world.a)
    client = login(world.a.staff)
    body = assert_page(client.get(f"/cases/{case.pk}/"))
    assert 'name="body"' not in body and "Propose" not in body and 'type="file"' not in body
    assert client.post(f"/cases/{case.pk}/actions/comment/", {"body": "hi"}).status_code == 403


def test_a_dc_proposes_a_severity_and_customer_care_decides(world: World) -> None:
    case = open_case(world.a)
    dc, agent = login(world.a.dcs[0]), login(world.agent)
    assert "needs a reason" in assert_page(act(dc, case, "propose", severity="3", reason=""), 422)
    assert act(dc, case, "propose", severity="3", reason="Only one site now.").status_code == 302
    proposal = case.severity_proposals.get()
    body = assert_page(agent.get(f"/cases/{case.pk}/"))
    assert "Only one site now." in body and "Accept" in body
    response = act(agent, case, "decide", proposal_id=proposal.pk, decision="accept", reason="Agreed.")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.severity == 3


def test_customer_care_changes_the_severity_with_a_reason(world: World) -> None:
    case = open_case(world.a)
    agent = login(world.agent)
    assert "reason" in assert_page(act(agent, case, "severity", severity="3", reason=""), 422)
    assert act(agent, case, "severity", severity="3", reason="Workaround holds.").status_code == 302
    case.refresh_from_db()
    assert case.severity == 3


def test_raise_to_critical_records_the_call_and_the_dc_available_24x7(world: World) -> None:
    case = open_case(world.a, now=timezone.now() - timedelta(minutes=30))
    agent = login(world.agent)
    url = f"/cases/{case.pk}/raise-critical/"
    body = assert_page(agent.get(url))
    assert world.a.dcs[0].name in body and "available 24x7" in body
    call = timezone.localtime(timezone.now() - timedelta(minutes=5), UTC).strftime("%Y-%m-%dT%H:%M")
    not_24x7 = world.a.dcs[1]  # the world makes only DC1 available 24x7
    body = assert_page(agent.post(url, {"phone_call_at": call, "available_contact_id": not_24x7.pk}), 422)
    assert "not marked available 24x7" in body
    body = assert_page(agent.post(url, {"phone_call_at": "", "available_contact_id": world.a.dcs[0].pk}), 422)
    assert "required" in body
    response = agent.post(url, {"phone_call_at": call, "available_contact_id": world.a.dcs[0].pk, "notes": "Pat"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.severity == 1 and case.critical_contact_id == world.a.dcs[0].pk


# --------------------------------------------------------------------------- the queue


def test_the_queue_filters_and_answers_htmx_with_the_table_alone(world: World) -> None:
    high, medium = open_case(world.a, title="High one"), open_case(world.a, title="Medium one", severity=3)
    agent = login(world.agent)
    body = assert_page(agent.get("/console/", {"severity": "3"}))
    assert "Medium one" in body and "High one" not in body
    body = assert_page(agent.get("/console/", {"reseller_id": world.b.reseller.pk}))
    assert "High one" not in body
    partial = agent.get("/console/", {"severity": "2"}, headers={"HX-Request": "true", "HX-Target": "queue"})
    text = partial.content.decode()
    assert text.lstrip().startswith('<section class="card" id="queue"') and "High one" in text
    assert "<html" not in text and high.pk and medium.pk


def test_bulk_assignment_assigns_each_case_and_reports_those_it_could_not(world: World) -> None:
    one, two, done = open_case(world.a), open_case(world.a), open_case(world.a)
    case_services.case_resolve(actor=world.agent, case_id=done.pk, code="solution", summary="Done.")
    case_services.case_close(actor=world.a.dcs[0], case_id=done.pk)
    agent = login(world.agent)
    ids = [one.pk, two.pk, done.pk]
    response = agent.post("/console/assign/", {"case_ids": ids, "assignee_id": "me", "next": "/console/"}, follow=True)
    body = response.content.decode()
    assert f"Assigned 2 case(s) to you: #{one.pk}, #{two.pk}" in body
    assert f"Case #{done.pk} was not assigned" in body and "closed" in body
    assert {c.assignee_id for c in Case.objects.filter(pk__in=[one.pk, two.pk])} == {world.agent.pk}
    assert Case.objects.get(pk=done.pk).assignee_id is None


def test_the_keyboard_shortcuts_are_documented_and_served(world: World) -> None:
    body = assert_page(login(world.agent).get("/console/"))
    assert "<kbd>j</kbd>" in body and "<kbd>a</kbd>" in body and "<kbd>/</kbd>" in body
    assert '<script src="/static/caredesk/shortcuts.js" defer></script>' in body
    assert 'id="assign-me"' in body


# --------------------------------------------------------------------------- phone intake


def test_phone_intake_records_the_caller_and_refuses_a_package_without_a_phone_channel(world: World) -> None:
    agent = login(world.agent)
    form = details(world, on_behalf_of_id=str(world.a.dcs[1].pk))
    body = assert_page(agent.post("/console/phone-intake/", form), 422)
    assert "Care for Cloud accepts cases only through" in body
    response = agent.post("/console/phone-intake/", {**form, "service": "premier_edition"})
    case = Case.objects.get(reseller=world.a.reseller)
    assert response.status_code == 302 and case.channel == "phone" and case.opened_by_id == world.a.dcs[1].pk
    body = assert_page(agent.post("/console/phone-intake/", {**form, "on_behalf_of_id": ""}), 422)
    assert "no active Designated Contact" in body


# --------------------------------------------------------------------------- attachments


def test_an_upload_with_customer_data_is_refused_with_findings_then_stored_redacted_on_request(world: World) -> None:
    case = open_case(world.a)
    client = login(world.a.dcs[0])
    url = f"/cases/{case.pk}/attachments/"
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = client.post(url, {"file": SimpleUploadedFile("calls.log", LOG_WITH_DATA)})
    body = assert_page(refused, 422)
    assert "The scanner found" in body and "phone" in body and "+1 212 555 0199" not in body
    assert not Attachment.objects.filter(case=case).exists()
    stored = client.post(url, {"file": SimpleUploadedFile("calls.log", LOG_WITH_DATA), "redact": "on"})
    assert stored.status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert attachment.redacted
    body = assert_page(client.get(f"/cases/{case.pk}/"))
    assert f"/attachments/{attachment.pk}/download/" in body and "redacted" in body
    assert "choose a file" in assert_page(client.post(url, {}), 422)
