"""No End User customer data in logs, error answers or task payloads (ASVS 5 V14.1, V16.2; DOMAIN.md
"Attachments must be devoid of End User customer data").

What counts (docs/security.md, "Data classes"): End User customer data is what identifies the
End User's own customers: callers' numbers (ANI/CLI), their e-mail addresses, payment cards, SIP
URIs, caller names. A case's ``local_contact`` holds the *reseller's* local contact (a name, phone
and e-mail of a person the reseller names): personal data of the reseller side, stored with the
case and shown to the reseller and the vendor, and like every free-text field never logged. Rules:

- logs carry ids, codes, counts, kinds and paths, never the value of a free-text field, a file's
  content, a finding's value or a webhook receiver's answer;
- error answers never echo uploaded content or another field's text (findings are masked);
- background task payloads carry ids only.

Every record of every logger is captured at DEBUG and formatted with the production JSON formatter
while the flows that handle such data run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from config.logging import JsonFormatter
from tests.conftest import MULTIPART, World, case_payload

pytestmark = pytest.mark.django_db

PHONE, PHONE_DIGITS = "+1 415 555 0132", "4155550132"
EMAIL, CARD, SIP = "jane.doe@example.com", "4111 1111 1111 1111", "sip:+14155550199@10.20.30.40"
CONTACT_PHONE, CONTACT_EMAIL = "+1 312 555 0177", "pat.local@example.com"
SECRETS = [PHONE, PHONE_DIGITS, EMAIL, CARD, "4111111111111111", SIP, "14155550199", CONTACT_PHONE, CONTACT_EMAIL]
LOG = (
    f"2026-11-02 08:30:02.310 INFO  call from ANI {PHONE} to DN 4021\n"
    f"2026-11-02 08:30:03.001 WARN  agent {EMAIL} not ready\n"
    f"2026-11-02 08:30:04.000 INFO  IVR collected card {CARD}\n"
    f"2026-11-02 08:30:05.000 INFO  INVITE {SIP}\n"
).encode()


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Capture]:
    """Every record of every logger, at DEBUG, through the production JSON formatter."""
    handler = Capture()
    root = logging.getLogger()
    loggers = [root] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = {lg: lg.level for lg in loggers}
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for lg, level in levels.items():
            lg.setLevel(level)


def _no_secrets(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} holds {secret!r}: ...{text[max(0, text.find(secret) - 150) :][:300]}"


def test_refused_and_redacted_uploads_log_and_answer_no_values(sworld: World, captured: Capture) -> None:
    w = sworld
    case_id = w.a.extra_ids["case_id"]
    api = w.client(w.a.dcs[0])
    url = f"/api/cases/{case_id}/attachments"
    r = api.post(url, {MULTIPART: {"file": SimpleUploadedFile(f"calls_{PHONE_DIGITS}.log", LOG)}})
    assert r.status_code == 422 and r.json()["error"]["code"] == "customer_data_found"
    findings = r.json()["error"]["findings"]
    assert {f["type"] for f in findings} >= {"phone", "email", "card", "sip_uri"}
    _no_secrets("the refusal", r.content.decode())
    r = api.post(url, {MULTIPART: {"file": SimpleUploadedFile(f"calls_{PHONE_DIGITS}.log", LOG), "redact": "true"}})
    assert r.status_code == 201
    _no_secrets("the redacted upload's answer", r.content.decode())
    timeline = api.get(f"/api/cases/{case_id}/timeline").content.decode()
    _no_secrets("the timeline", timeline)
    # The portal's upload form, if it exists, answers with the same masked findings.
    browser = __import__("tests.security.pages", fromlist=["login"]).login(w.a.dcs[0])
    page = browser.post(f"/cases/{case_id}/attachments/", {"file": SimpleUploadedFile("calls.log", LOG)})
    if page.status_code != 404:
        assert page.status_code == 422
        _no_secrets("the portal's refusal", page.content.decode())
    assert captured.lines, "nothing was captured: the capture is broken"
    _no_secrets("the logs", "\n".join(captured.lines))


def test_intake_with_contact_details_logs_none_and_errors_echo_no_text(sworld: World, captured: Capture) -> None:
    w = sworld
    api = w.client(w.a.dcs[0])
    payload = case_payload(
        w.a.account,
        title=f"Caller {PHONE} hears silence",
        business_impact=f"Customer {EMAIL} paid with {CARD} twice",
        local_contact=f"Pat Local, {CONTACT_PHONE}, {CONTACT_EMAIL}",
    )
    r = api.post("/api/cases", payload)
    assert r.status_code == 201
    case_id = r.json()["id"]
    r = api.post(f"/api/cases/{case_id}/comments", {"body": f"The caller {PHONE} called back from {SIP}"})
    assert r.status_code == 201
    # A refused intake names the fields in error; it does not echo the other fields' text.
    bad = {**payload, "impacted_timezone": "Mars/Olympus", "service": "nope", "users_affected": -1}
    r = api.post("/api/cases", bad)
    assert r.status_code == 422
    _no_secrets("a refused intake's answer", r.content.decode())
    r = api.post("/api/cases", {**payload, "not_a_field": PHONE})
    assert r.status_code == 422
    _no_secrets("an unknown field's refusal", r.content.decode())
    _no_secrets("the logs", "\n".join(captured.lines))


class _EchoReceiver:
    """A webhook receiver that fails every delivery and echoes the request body in its answer."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.bodies.append(body)
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def db_tasks(settings: Any) -> Iterator[None]:
    """The production task backend (django-tasks-db rows) instead of the test suite's immediate one."""
    from asgiref.local import Local
    from django.tasks import task_backends

    def reset() -> None:
        task_backends.__dict__.pop("settings", None)  # a cached_property of the handler
        task_backends._connections = Local(task_backends.thread_critical)  # type: ignore[attr-defined]

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    reset()
    yield
    reset()


def test_webhook_failures_and_task_payloads_carry_no_case_text(
    sworld: World, captured: Capture, db_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from caredesk.maintenance import notice_services
    from caredesk.notifications.delivery import deliver_due

    w = sworld
    receiver = _EchoReceiver()
    try:
        r = w.client(w.a.dcs[0]).post("/api/webhooks", {"url": receiver.url, "event_types": ["*"]})
        assert r.status_code == 201, r.content
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            notice_services.notice_post(
                actor=w.agent,
                service="premier_edition",
                start=now + timedelta(days=2),
                end=now + timedelta(days=2, hours=1),
                reason=f"Carrier fault on {PHONE}; contact {EMAIL}",
            )
            w.client(w.a.dcs[0]).post("/api/cases", case_payload(w.a.account, title=f"Caller {PHONE} drops"))
        report = deliver_due(now=timezone.now() + timedelta(hours=1))
        assert receiver.bodies, f"no webhook was delivered: {report}"
        assert any(PHONE.encode() in body for body in receiver.bodies)  # the receiver had it (its own data)
    finally:
        receiver.stop()
    _no_secrets("the logs", "\n".join(captured.lines))
    payloads = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    assert payloads, "no task was recorded: the capture of task payloads is broken"
    for path, args_kwargs in payloads:
        leaves = _leaves(args_kwargs)
        assert all(isinstance(v, int) or v is None for v in leaves), f"{path} carries more than ids: {args_kwargs}"


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]
