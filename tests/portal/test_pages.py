"""Every portal page renders for the roles that use it, under a strict Content-Security-Policy with
no inline script or style anywhere; user text is always escaped; pages need a log-in and every
form its CSRF token; files are downloads only; lists cost a constant number of queries."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caredesk.cases import services as case_services
from caredesk.cases.attachments import attachment_upload
from caredesk.knowledge import services as knowledge
from caredesk.tenancy.models import User
from tests.conftest import World
from tests.portal.conftest import login
from tests.portal.support import a_objects, assert_page, open_case, page_problems
from tests.portal.test_tenant_pages import PUBLIC, portal_patterns

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
HTMX = Path(settings.ROOT) / "caredesk/portal/static/caredesk/vendor/htmx.min.js"


def _pages(world: World) -> dict[str, list[str]]:
    """The pages each role uses, with tenant A's objects."""
    objs = a_objects(world)
    case = objs.case
    advisory = knowledge.advisory_publish(
        actor=world.manager, service="pureengage_cloud", title="Slow logins", body="We are **on it**."
    )
    reseller_pages = [
        "/",
        "/cases/",
        "/cases/?status=open&ordering=next_due",
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/clocks/",
        "/contacts/",
        "/profile/",
        "/tokens/",
        "/requests/features/",
        f"/requests/features/{objs.feature_request_id}/",
        "/requests/macd/",
        f"/requests/macd/{objs.csm_request_id}/",
        "/maintenance/",
        "/maintenance/?view=list",
        "/maintenance/?view=month&month=2027-03",
        "/advisories/",
        f"/advisories/{advisory.pk}/",
        "/notifications/",
        f"/cases/new/services/?account_id={world.a.account.pk}",
        "/cases/new/advisories/?service=pureengage_cloud",
    ]
    console_pages = [
        "/",
        "/console/",
        "/console/?severity=2&status=all&assignee=none",
        f"/cases/{case.pk}/",
        "/contacts/",
        "/requests/features/",
        f"/requests/features/{objs.feature_request_id}/",
        "/requests/macd/",
        f"/requests/macd/{objs.csm_request_id}/",
        "/maintenance/",
        "/advisories/",
        "/notifications/",
        "/profile/",
    ]
    care_pages = [
        *console_pages,
        "/console/phone-intake/",
        f"/cases/{case.pk}/raise-critical/",
        "/console/maintenance/",
        "/console/post-mortems/",
        "/advisories/new/",
    ]
    return {
        "dc": [*reseller_pages, "/cases/new/", "/notifications/webhooks/"],
        "staff": reseller_pages,
        "agent": care_pages,
        "manager": care_pages,
        "csm": [*console_pages, "/console/post-mortems/"],
        "admin": [*care_pages, "/notifications/webhooks/"],
    }


def _user(world: World, role: str) -> User:
    return {
        "dc": world.a.dcs[0],
        "staff": world.a.staff,
        "agent": world.agent,
        "manager": world.manager,
        "csm": world.csm,
        "admin": world.admin,
    }[role]


@pytest.mark.parametrize("role", ["dc", "staff", "agent", "manager", "csm", "admin"])
def test_every_page_renders_for_its_roles_with_a_strict_csp_and_no_inline_code(world: World, role: str) -> None:
    client = login(_user(world, role))
    failures = {}
    for url in _pages(world)[role]:
        response = client.get(url)
        problems = page_problems(response)
        if response.status_code != 200 or problems:
            failures[url] = (response.status_code, problems)
    assert failures == {}


def test_the_login_and_error_pages_are_clean_too(world: World) -> None:
    assert_page(Client().get("/login/"))
    client = login(world.a.staff)
    assert_page(client.get("/console/"), status=403)
    assert_page(client.get("/cases/999999/"), status=404)


def test_every_page_needs_a_log_in(world: World) -> None:
    anonymous = Client()
    for name, params in portal_patterns():
        if name in PUBLIC:
            continue
        url = reverse(
            f"portal:{name}", kwargs={p: ("close" if p in ("action", "step", "change") else 1) for p in params}
        )
        for response in (anonymous.get(url), anonymous.post(url)):
            assert response.status_code == 302 and response.headers["Location"].startswith("/login/"), url


def test_an_htmx_request_after_the_session_expired_sends_the_whole_page_to_the_log_in(world: World) -> None:
    response = Client().get("/console/", {"severity": "2"}, headers={"HX-Request": "true", "HX-Target": "queue"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login/?next=/console/")


def test_a_title_with_a_script_is_shown_escaped_everywhere(world: World) -> None:
    case = open_case(world.a, title=XSS)
    case_services.case_comment(actor=world.a.dcs[0], case_id=case.pk, body='<img src=x onerror="alert(2)">')
    for user, urls in (
        (world.a.dcs[0], ["/", "/cases/", f"/cases/{case.pk}/"]),
        (world.agent, ["/", "/console/", f"/cases/{case.pk}/"]),
    ):
        client = login(user)
        for url in urls:
            body = assert_page(client.get(url))
            assert XSS not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
            assert '<img src=x onerror="alert(2)">' not in body


def test_an_advisory_body_is_shown_only_through_the_safe_markdown_renderer(world: World) -> None:
    advisory = knowledge.advisory_publish(
        actor=world.manager,
        service="pureengage_cloud",
        title=f"Outage {XSS}",
        body=f"**Bold** and {XSS} and [a link](javascript:alert(3))",
    )
    body = assert_page(login(world.a.dcs[0]).get(f"/advisories/{advisory.pk}/"))
    assert "<strong>Bold</strong>" in body
    assert XSS not in body and "javascript:" not in body


def test_every_form_needs_its_csrf_token(world: World) -> None:
    case = open_case(world.a)
    client = login(world.a.dcs[0], enforce_csrf=True)
    url = f"/cases/{case.pk}/actions/comment/"
    assert client.post(url, {"body": "no token"}).status_code == 403
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and 'name="csrf-token"' in page
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"body": "with a token", "csrfmiddlewaretoken": token}).status_code == 302
    # htmx requests carry it as a header (caredesk.js reads the meta tag).
    response = client.post("/cases/new/validate/", {"title": "x"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200


def test_an_attachment_is_always_a_download_never_rendered(world: World) -> None:
    case = open_case(world.a)
    attachment = attachment_upload(
        actor=world.a.dcs[0], case_id=case.pk, filename="page.html", data=b"<html><script>alert(1)</script>\n"
    )
    client = login(world.a.staff)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/attachments/{attachment.pk}/download/"' in body and "<iframe" not in body
    response = client.get(f"/attachments/{attachment.pk}/download/")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    # Read to the end, as a browser does (the test client then closes it without closing the
    # database connection that the module's shared world lives in).
    assert b"".join(response.streaming_content).startswith(b"<html>")  # type: ignore[attr-defined]


def test_htmx_is_served_locally_with_its_licence_and_version(world: World) -> None:
    head = HTMX.read_text()[:600]
    assert "htmx 2.0.11" in head and "0BSD" in head
    body = login(world.a.dcs[0]).get("/").content.decode()
    assert '<script src="/static/caredesk/vendor/htmx.min.js" defer></script>' in body
    assert '<script src="/static/caredesk/caredesk.js" defer></script>' in body
    assert '"allowEval": false' in body and '"includeIndicatorStyles": false' in body
    assert "https://" not in body.split("<body>")[0], "no CDN in the head"


def test_instants_are_shown_in_the_users_time_zone(world: World) -> None:
    case = open_case(world.a)
    dc = world.a.dcs[0]
    dc.timezone = "Asia/Tokyo"
    dc.save(update_fields=["timezone"])
    body = login(dc).get(f"/cases/{case.pk}/").content.decode()
    assert "JST" in body and "Asia/Tokyo" in body


def test_the_navigation_follows_the_role(world: World) -> None:
    dc_nav = login(world.a.dcs[0]).get("/").content.decode().split("</nav>")[0]
    staff_nav = login(world.a.staff).get("/").content.decode().split("</nav>")[0]
    agent_nav = login(world.agent).get("/").content.decode().split("</nav>")[0]
    assert "Open a case" in dc_nav and "Open a case" not in staff_nav
    assert "/console/" not in dc_nav and "/console/" in agent_nav and "Phone intake" in agent_nav


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_and_queue_cost_the_same_few_queries_whatever_the_number_of_cases(world: World) -> None:
    dc, agent = login(world.a.dcs[0]), login(world.agent)
    first = open_case(world.a)
    case_services.case_assign(actor=world.agent, case_id=first.pk, assignee_id=world.agent.pk)
    open_case(world.a)
    few = {"home": _queries(dc, "/"), "queue": _queries(agent, "/console/"), "overview": _queries(agent, "/")}
    for i in range(12):
        case = open_case(world.a, severity=3 if i % 2 else 2)
        if i % 3 == 0:
            case_services.case_acknowledge(actor=world.agent, case_id=case.pk)
        if i % 4 == 0:
            case_services.case_assign(actor=world.agent, case_id=case.pk, assignee_id=world.agent.pk)
    many = {"home": _queries(dc, "/"), "queue": _queries(agent, "/console/"), "overview": _queries(agent, "/")}
    assert many == few
    assert max(many.values()) <= 10, many


def test_the_case_page_costs_the_same_queries_however_long_its_history(world: World) -> None:
    case = open_case(world.a)
    agent, dc = login(world.agent), login(world.a.dcs[0])
    case_services.case_comment(actor=world.agent, case_id=case.pk, body="First answer.")
    short = {"agent": _queries(agent, f"/cases/{case.pk}/"), "dc": _queries(dc, f"/cases/{case.pk}/")}
    for i in range(6):
        case_services.case_comment(actor=world.a.dcs[i % 2], case_id=case.pk, body=f"Reply {i}.")
        case_services.case_comment(actor=world.agent, case_id=case.pk, body=f"Note {i}.", internal=True)
    attachment_upload(actor=world.a.dcs[0], case_id=case.pk, filename="a.log", data=b"2026-11-02 link up\n")
    long = {"agent": _queries(agent, f"/cases/{case.pk}/"), "dc": _queries(dc, f"/cases/{case.pk}/")}
    assert long == short
