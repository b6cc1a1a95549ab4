"""Stored XSS (ASVS 5 V1.2/V3.2, OWASP A03): every text field of every JSON body, generated from the
OpenAPI request schemas, is written with a script payload through the API, by whichever role may
write it; a file is uploaded under a hostile name; then every page of the site (walked from the
URL resolver) is read by every role and the e-mails that the writes queued are rendered. No page,
partial or e-mail may carry the payload as markup: it must come out escaped.

Django's template engine escapes by default and the CSP forbids inline script; this test is what
keeps a future ``|safe``, ``mark_safe`` or ``format_html`` misuse from shipping.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import MULTIPART, World, case_payload
from tests.security.pages import login, page_values, site_pages
from tests.security.routes import JSON_ROUTES, body_from, finish, json_body, own_ids, text_fields, url_for, valid_values

pytestmark = pytest.mark.django_db

# Both classic payloads in every field at once (one walk of the site, not two): a script element for
# element context, and a quote-breaking image with an event handler for attribute context.
PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
# What an unescaped payload leaves in HTML; escaped, these never appear.
RAW = ["<script>alert(1)", "<img src=x onerror", '"><img']
ESCAPED = {PAYLOAD: "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"}


def _write(world: World, method: str, path: str, body: dict[str, Any], ids: dict[str, int]) -> Any:
    """Send the body as the first role that may write it; fields the service refuses as invalid
    (a payload is no time zone) are put back to the plain sample, up to three times."""
    actors = [world.a.dcs[0], world.agent, world.manager, world.admin, world.csm]
    for user in actors:
        attempt = dict(body)
        for _ in range(4):
            r = world.client(user).request(method, url_for(path, ids), attempt)
            if r.status_code != 422:
                break
            bad = {f.split(".")[0] for f in (r.json()["error"].get("fields") or {})}
            plain = body_from(json_body(method, path) or {}, ids, valid_values(world, path))
            if not bad & set(attempt) or all(attempt.get(f) == plain.get(f) for f in bad):
                break
            attempt.update({f: plain[f] for f in bad if f in plain})
        if r.status_code not in (401, 403, 404):
            return r
    return r


def _created_ids(path: str, data: Any, ids: dict[str, int]) -> None:
    if not isinstance(data, dict):
        return
    if "id" in data:
        name = path.rstrip("/").split("/")[-1].replace("-", "_").removesuffix("s") + "_id"
        ids.setdefault(name, data["id"])
    for key, value in data.items():
        if key.endswith("_id") and isinstance(value, int) and key not in ("reseller_id", "account_id"):
            ids.setdefault(key, value)


def _html_fields(data: Any) -> list[str]:
    if isinstance(data, dict):
        out = [v for k, v in data.items() if k.endswith("_html") and isinstance(v, str)]
        for v in data.values():
            out += _html_fields(v)
        return out
    if isinstance(data, list):
        return [h for item in data for h in _html_fields(item)]
    return []


def _assert_escaped(where: str, text: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{where} carries {raw!r} unescaped: ...{text[max(0, text.find(raw) - 200) :][:400]}"


def test_no_text_field_renders_as_markup_anywhere(sworld: World) -> None:
    w, payload = sworld, PAYLOAD
    ids = own_ids(w)
    # A case whose every free-text intake field is the payload (through the real intake).
    intake = case_payload(w.a.account)
    for name in ("title", "department", "business_impact", "steps_to_reproduce", "impacted_working_hours"):
        intake[name] = payload
    intake["local_contact"] = f"Pat {payload}"
    intake["additional_details"] = {"campaign_name": payload, "report_name": payload}
    r = w.client(w.a.dcs[0]).post("/api/cases", intake)
    assert r.status_code == 201, r.content
    ids["case_id"] = r.json()["id"]
    # An account named with the payload, with a case, so the reports' charts and tables label it.
    admin = w.client(w.admin)
    account = admin.post("/api/accounts", {"reseller_id": w.a.reseller.pk, "name": payload, "department": payload})
    assert account.status_code == 201, account.content
    sub = {"account_id": account.json()["id"], "service": "pureengage_cloud", "package": "care_for_cloud"}
    sub |= {"term_start": "2026-01-01", "term_end": "2027-12-31", "deployment_timezone": "America/New_York"}
    assert admin.post("/api/subscriptions", sub).status_code == 201
    labelled = case_payload(w.a.account, account_id=account.json()["id"], department=payload)
    assert w.client(w.a.dcs[0]).post("/api/cases", labelled).status_code == 201
    # A file with a hostile name on that case.
    upload = {"file": SimpleUploadedFile(f"{payload}.log", b"2026-11-02 INFO link up\n")}
    r = w.client(w.a.dcs[0]).post(f"/api/cases/{ids['case_id']}/attachments", {MULTIPART: upload})
    assert r.status_code == 201, r.content
    _assert_escaped("the stored file name", r.json()["filename"])

    stored: list[str] = []
    html_fields: list[str] = []
    writes = [(m, p) for m, p in JSON_ROUTES if m in ("POST", "PATCH") and text_fields(json_body(m, p) or {})]
    # Two passes: a lifecycle write refused in the first (reopen before resolve) goes in the second.
    for _ in range(2):
        refused = []
        for method, path in writes:
            schema = json_body(method, path)
            assert schema is not None
            values = valid_values(w, path)
            free = [n for n in text_fields(schema) if n not in values]
            body = {**body_from(schema, ids, values), **dict.fromkeys(free, payload)}
            r = _write(w, method, path, body, ids)
            if r.status_code >= 300:
                refused.append((method, path))
                continue
            stored.append(f"{method} {path}")
            if r.content and r.headers.get("Content-Type", "").startswith("application/json"):
                data = r.json()
                _created_ids(path, data, ids)
                html_fields += _html_fields(data)
        writes = refused
    # The walk is not vacuous: the writes that most often carry text went through.
    for must in ("POST /api/cases/{case_id}/comments", "POST /api/feature-requests", "POST /api/resellers"):
        assert must in stored, f"{must} did not store the payload; stored: {stored}"
    for html in html_fields:
        _assert_escaped("an API *_html field", html)

    # Every page, as every role.
    values = page_values(ids)
    seen_escaped = False
    people = [w.a.dcs[0], w.a.staff, w.agent, w.manager, w.admin, w.csm]
    pages = [p for p in site_pages() if not p.route.startswith(("login", "logout", "feeds/", "health"))]
    urls = [page.url(values) for page in pages]
    # The reports draw names into inline SVG charts: group them by the names that carry the payload.
    reports = [p for p in pages if p.route.startswith("reports")]
    urls += [f"/{p.route}?group_by={group}" for p in reports for group in ("reseller", "account")]
    for user in people:
        browser = login(user)
        for url in urls:
            r = browser.get(url)
            if r.streaming:  # a download: never HTML (tests/security/test_uploads.py)
                finish(r)
                continue
            if r.status_code >= 300 or "html" not in r.headers.get("Content-Type", ""):
                continue
            text = r.content.decode()
            _assert_escaped(f"{url} as {user.role}", text)
            seen_escaped = seen_escaped or ESCAPED[payload] in text
    assert seen_escaped, "no page showed the payload at all: the walk did not reach the stored objects"
    case_page = login(w.agent).get(f"/cases/{ids['case_id']}/").content.decode()
    assert ESCAPED[payload] in case_page

    # The e-mails those writes queued, rendered as they would be sent.
    from caredesk.notifications.adapters.email import render
    from caredesk.notifications.delivery import email_context
    from caredesk.notifications.models import EmailDelivery

    for row in EmailDelivery.objects.select_related("notification", "recipient")[:200]:
        text, html = render(row.notification.event_kind, email_context(row))
        _assert_escaped(f"the {row.notification.event_kind} e-mail", html)


def test_csv_exports_do_not_start_cells_with_formulas(sworld: World) -> None:
    """CSV injection: a cell a spreadsheet would evaluate (=, +, -, @) is written as text."""
    import csv
    import io

    w = sworld
    r = w.client(w.admin).post("/api/resellers", {"name": '=HYPERLINK("http://evil.test","x")'})
    assert r.status_code == 201
    browser = login(w.admin)
    for page in site_pages():
        if not page.route.endswith(".csv"):
            continue
        r = browser.get(page.url({}) + "?group_by=reseller")
        if r.status_code != 200:
            continue
        content = b"".join(r.streaming_content) if r.streaming else r.content  # type: ignore[attr-defined]
        for row in csv.reader(io.StringIO(content.decode())):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), f"{page.route}: formula cell {cell!r}"


def test_json_answers_are_never_html(sworld: World) -> None:
    """An API answer is JSON with nosniff, so a payload in it is never rendered by a browser."""
    w = sworld
    r = w.client(w.a.dcs[0]).post("/api/cases", {**case_payload(w.a.account), "title": PAYLOAD})
    assert r.status_code == 201
    got = w.client(w.a.dcs[0]).get(f"/api/cases/{r.json()['id']}")
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(got.content)["title"] == PAYLOAD  # stored as written, escaped at output
