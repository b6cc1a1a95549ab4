"""The portal's other forms, each through its happy path and its refusals: MAC/D and feature
requests, the Designated Contacts page (the two-DC rule), the profile, maintenance (calendar,
reschedule requests and decisions, notices, iCal feeds), advisories, post-mortems and Incident
Reports, notification preferences and webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from caredesk.cases import services as case_services
from caredesk.cases.models import Case, CsmRequest, FeatureRequest
from caredesk.incidents.models import IncidentReport, PostMortem
from caredesk.knowledge.models import Advisory
from caredesk.maintenance.models import CalendarFeed, MaintenanceNotice, RescheduleRequest
from caredesk.notifications.models import NotificationPreference, WebhookEndpoint
from tests.conftest import World
from tests.integration.maintenance.support import z
from tests.portal.conftest import login
from tests.portal.support import assert_page, open_case

pytestmark = pytest.mark.django_db


def _local(instant: datetime) -> str:
    return timezone.localtime(instant, UTC).strftime("%Y-%m-%dT%H:%M")


# --------------------------------------------------------------------------- requests


def test_a_macd_goes_to_the_csm_or_becomes_a_service_request_as_the_policy_routes_it(world: World) -> None:
    dc = login(world.a.dcs[0])
    form = {"account_id": world.a.account.pk, "title": "Add 5 agents", "description": "Monday.", "local_contact": ""}
    response = dc.post("/requests/macd/", {**form, "service": "premier_edition"})
    request = CsmRequest.objects.get(reseller=world.a.reseller)
    assert response.headers["Location"] == f"/requests/macd/{request.pk}/"
    response = dc.post("/requests/macd/", {**form, "service": "pureengage_cloud"})
    case = Case.objects.get(reseller=world.a.reseller, kind="service_request")
    assert response.headers["Location"] == f"/cases/{case.pk}/" and case.channel == "portal"
    body = assert_page(dc.post("/requests/macd/", {**form, "service": "premier_edition", "title": ""}), 422)
    assert 'id="err-title" role="alert">required<' in body
    csm = login(world.csm)
    assert "Add 5 agents" in assert_page(csm.get("/requests/macd/"))
    assert csm.post(f"/requests/macd/{request.pk}/", {"status": "in_progress", "note": "On it"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "in_progress"
    assert "On it" in assert_page(dc.get(f"/requests/macd/{request.pk}/"))
    assert login(world.a.staff).post("/requests/macd/", {**form, "service": "premier_edition"}).status_code == 403


def test_feature_requests_are_submitted_by_dcs_and_reviewed_by_customer_care(world: World) -> None:
    dc = login(world.a.dcs[0])
    body = assert_page(
        dc.post("/requests/features/", {"service": "premier_edition", "title": "", "description": ""}), 422
    )
    assert 'id="err-title" role="alert">required<' in body and 'id="err-description" role="alert">required<' in body
    form = {"service": "premier_edition", "title": "Dark mode", "description": "Night shifts.", "business_case": "x"}
    response = dc.post("/requests/features/", form)
    fr = FeatureRequest.objects.get(reseller=world.a.reseller)
    assert response.headers["Location"] == f"/requests/features/{fr.pk}/" and fr.status == "submitted"
    agent = login(world.agent)
    assert "under review" in assert_page(agent.get(f"/requests/features/{fr.pk}/"))
    assert agent.post(f"/requests/features/{fr.pk}/", {"status": "under_review", "note": "Looking"}).status_code == 302
    body = assert_page(agent.post(f"/requests/features/{fr.pk}/", {"status": "delivered"}), 409)
    assert "cannot become delivered" in body
    fr.refresh_from_db()
    assert fr.status == "under_review"
    assert dc.post(f"/requests/features/{fr.pk}/", {"status": "planned"}).status_code == 403


# --------------------------------------------------------------------------- people


def test_the_contacts_page_shows_the_two_dc_rule_and_refuses_to_break_it(world: World) -> None:
    body = assert_page(login(world.a.staff).get("/contacts/"))
    assert "at least 2 active Designated Contacts" in body and "may open cases" in body
    admin = login(world.admin)
    response = admin.post(f"/contacts/{world.a.dcs[1].pk}/deactivate/", {"next": "/contacts/"}, follow=True)
    assert "would leave 1" in response.content.decode()
    world.a.dcs[1].refresh_from_db()
    assert world.a.dcs[1].is_active
    assert login(world.a.dcs[0]).post(f"/contacts/{world.a.dcs[1].pk}/deactivate/").status_code == 403


def test_the_profile_sets_the_time_zone_every_page_uses(world: World) -> None:
    client = login(world.a.dcs[0])
    body = assert_page(client.post("/profile/", {"name": "DC1 Alpha", "timezone": "Mars/Olympus"}), 422)
    assert "Mars/Olympus" in body
    response = client.post(
        "/profile/",
        {"name": "DC1 Alpha", "phone": "+1 212 555 0101", "timezone": "Europe/Paris", "available_24x7": "on"},
    )
    assert response.status_code == 302
    world.a.dcs[0].refresh_from_db()
    assert world.a.dcs[0].timezone == "Europe/Paris" and world.a.dcs[0].available_24x7


# --------------------------------------------------------------------------- maintenance


def test_the_month_view_shows_a_window_crossing_midnight_in_the_viewers_zone(world: World) -> None:
    dc = world.a.dcs[0]
    dc.timezone = "America/New_York"
    dc.save(update_fields=["timezone"])
    body = assert_page(login(dc).get("/maintenance/", {"view": "month", "month": "2027-03"}))
    # Premier Edition: Tue-Thu 22:00-05:00 EST, so in New York a window starts on Tuesday 2 March
    # and ends on Wednesday 3 March.
    dash = "\u2013"  # the page's en dash between start and end
    assert "March 2027" in body and f"22:00{dash}05:00 (ends Wed 3)" in body
    assert f"\u2026 22:00{dash}05:00 (from Tue 2)" in body
    listed = assert_page(login(dc).get("/maintenance/", {"view": "list"}))
    assert "Premier Edition" in listed and "Ask to reschedule" in listed


def test_a_dc_asks_to_reschedule_one_occurrence_and_customer_care_accepts(world: World) -> None:
    dc = login(world.a.dcs[0])
    query = {"account_id": str(world.a.account.pk), "service": "premier_edition", "planned_start": "2027-03-04T03:00Z"}
    assert "Thu 4 Mar 2027 03:00 UTC" in assert_page(dc.get("/maintenance/reschedule/", query))
    body = assert_page(dc.post("/maintenance/reschedule/", {**query, "proposed_start": "", "reason": "x"}), 422)
    assert "required" in body
    body = assert_page(
        dc.post("/maintenance/reschedule/", {**query, "proposed_start": "2027-03-06T03:00", "reason": ""}), 422
    )
    assert 'id="err-reason" role="alert">' in body
    response = dc.post("/maintenance/reschedule/", {**query, "proposed_start": "2027-03-06T03:00", "reason": "Close"})
    assert response.status_code == 302
    request = RescheduleRequest.objects.get(account=world.a.account)
    assert request.planned_start == z("2027-03-04 03:00") and request.proposed_start == z("2027-03-06 03:00")
    agent = login(world.agent)
    assert "Close" in assert_page(agent.get("/console/maintenance/"))
    agent.post(f"/console/maintenance/reschedules/{request.pk}/decide/", {"decision": "accept", "reason": "OK"})
    request.refresh_from_db()
    assert request.status == "accepted"
    assert login(world.a.dcs[0]).post(f"/console/maintenance/reschedules/{request.pk}/decide/").status_code == 403


def test_customer_care_posts_and_cancels_a_notice(world: World) -> None:
    agent = login(world.agent)
    start = timezone.now() + timedelta(days=2)
    form = {"service": "pureengage_cloud", "start": _local(start), "end": _local(start - timedelta(hours=1))}
    body = assert_page(agent.post("/console/maintenance/", {**form, "reason": "Patch"}), 422)
    assert "end" in body
    form["end"] = _local(start + timedelta(hours=2))
    assert agent.post("/console/maintenance/", {**form, "reason": "Patch", "emergency": "on"}).status_code == 302
    notice = MaintenanceNotice.objects.get(reason="Patch")
    assert notice.emergency
    assert "Patch" in assert_page(login(world.a.dcs[0]).get("/maintenance/"))
    agent.post(f"/console/maintenance/notices/{notice.pk}/cancel/", {"reason": "Not needed"})
    notice.refresh_from_db()
    assert notice.cancelled_at is not None


def test_the_ical_feed_address_is_shown_once_then_rotated_and_revoked(world: World) -> None:
    dc = login(world.a.dcs[0])
    page = dc.post("/maintenance/feeds/", follow=True).content.decode()
    url = page.split("<pre><code>")[1].split("</code></pre>")[0]
    assert "/feeds/" in url and url.endswith(".ics")
    assert url not in dc.get("/maintenance/").content.decode()  # shown once
    feed = CalendarFeed.objects.get(reseller=world.a.reseller)
    ics = dc.get(url.split("testserver")[1])
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content
    dc.post(f"/maintenance/feeds/{feed.pk}/rotate/")
    assert dc.get(url.split("testserver")[1]).status_code == 404
    dc.post(f"/maintenance/feeds/{feed.pk}/revoke/")
    feed.refresh_from_db()
    assert feed.revoked_at is not None


# --------------------------------------------------------------------------- advisories


def test_a_manager_publishes_and_retires_an_advisory_and_an_agent_may_not(world: World) -> None:
    manager = login(world.manager)
    body = assert_page(manager.post("/advisories/new/", {"service": "pureengage_cloud", "title": "", "body": ""}), 422)
    assert 'id="err-title" role="alert">' in body
    form = {"service": "pureengage_cloud", "title": "Slow logins", "body": "Use **SSO**.", "severity": "major"}
    assert manager.post("/advisories/new/", form).status_code == 302
    advisory = Advisory.objects.get(title="Slow logins")
    assert "<strong>SSO</strong>" in assert_page(login(world.a.staff).get(f"/advisories/{advisory.pk}/"))
    assert login(world.agent).post("/advisories/new/", form).status_code == 403
    manager.post(f"/advisories/{advisory.pk}/retire/", {"reason": "Fixed"})
    advisory.refresh_from_db()
    assert advisory.retired_at is not None


# --------------------------------------------------------------------------- after the incident


def test_the_post_mortem_and_incident_report_flow_in_the_portal(world: World) -> None:
    case = open_case(world.a)
    case_services.case_resolve(actor=world.agent, case_id=case.pk, code="solution", summary="Certificate renewed.")
    pm = PostMortem.objects.get(case=case)
    agent, dc = login(world.agent), login(world.a.dcs[0])
    assert "After the incident" in assert_page(dc.get(f"/cases/{case.pk}/"))
    assert pm.pk and "Schedule the meeting" in assert_page(agent.get(f"/cases/{case.pk}/"))
    meeting = _local(timezone.now() + timedelta(hours=1))
    agent.post(f"/post-mortems/{pm.pk}/schedule/", {"meeting_at": meeting, "notes": "Bridge 42"})
    pm.refresh_from_db()
    assert pm.status == "scheduled"
    response = dc.post(f"/post-mortems/{pm.pk}/request_report/", {"request": "Too early"}, follow=True)
    assert "held" in response.content.decode() and not IncidentReport.objects.filter(post_mortem=pm).exists()
    agent.post(f"/post-mortems/{pm.pk}/hold/", {"held_at": "", "root_cause_analysis": "Expired certificate."})
    pm.refresh_from_db()
    assert pm.status == "held"
    dc.post(f"/post-mortems/{pm.pk}/request_report/", {"request": "For the customer's board."})
    report = IncidentReport.objects.get(post_mortem=pm)
    assert "Customer Care is writing the report" in assert_page(dc.get(f"/incident-reports/{report.pk}/"))
    parts = {"summary": "S", "timeline": "T", "root_cause": "R", "remediation": "M", "version": report.version}
    assert agent.post(f"/incident-reports/{report.pk}/", {**parts, "publish": "yes"}).status_code == 302
    report.refresh_from_db()
    assert report.status == "published"
    body = assert_page(dc.get(f"/incident-reports/{report.pk}/"))
    assert "Download as PDF" in body and "R" in body
    pdf = dc.get(f"/incident-reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert dc.post(f"/post-mortems/{pm.pk}/hold/", {}).status_code == 403


# --------------------------------------------------------------------------- notifications


def test_notification_preferences_are_saved_per_kind(world: World) -> None:
    client = login(world.a.dcs[0])
    assert "maintenance notice posted" in assert_page(client.get("/notifications/"))
    client.post("/notifications/", {"email_default": "on", "kind.maintenance_notice_posted": "none"})
    choice = NotificationPreference.objects.get(user=world.a.dcs[0], event_kind="maintenance_notice_posted")
    assert choice.email is False


def test_a_dc_registers_a_webhook_and_sees_its_secret_once(world: World) -> None:
    client = login(world.a.dcs[0])
    body = assert_page(client.post("/notifications/webhooks/", {"url": "ftp://nope"}), 422)
    assert 'id="err-url" role="alert">' in body
    page = client.post("/notifications/webhooks/", {"url": "http://127.0.0.1:9/hook"}, follow=True).content.decode()
    secret = page.split("<pre><code>")[1].split("</code></pre>")[0]
    endpoint = WebhookEndpoint.objects.get(reseller=world.a.reseller)
    assert endpoint.secret == secret and secret not in client.get("/notifications/webhooks/").content.decode()
    client.post(f"/notifications/webhooks/{endpoint.pk}/pause/")
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert login(world.a.staff).get("/notifications/webhooks/").status_code == 403
