"""Helpers of the portal tests: objects of tenant A made through the real services, and the checks
every rendered page must pass (a strict CSP, no inline script or style, no event-handler
attributes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caredesk.cases import requests_services
from caredesk.cases import services as case_services
from caredesk.cases.models import Case
from tests.conftest import Tenant, World, case_payload

TAG = re.compile(r"<([a-zA-Z][\w-]*)(\s[^<>]*)?>")
STYLE_ATTR = re.compile(r"(^|\s)style\s*=", re.I)
HANDLER_ATTR = re.compile(r"(^|\s)on[a-z]+\s*=", re.I)
SRC_ATTR = re.compile(r"(^|\s)src\s*=", re.I)


def open_case(t: Tenant, now: datetime | None = None, **overrides: Any) -> Case:
    """A case of ``t`` opened by its first DC in the portal (at ``now``, default the clock)."""
    payload = case_payload(t.account, **overrides)
    if isinstance(payload["first_observed_at"], str):
        payload["first_observed_at"] = datetime.fromisoformat(payload["first_observed_at"])
    return case_services.case_open(actor=t.dcs[0], payload=payload, channel="portal", now=now)


def page_problems(response: Any) -> list[str]:
    """What is wrong with a rendered page under the project's strict CSP (empty: nothing)."""
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    if "script-src 'self'" not in csp or "style-src 'self'" not in csp or "unsafe-inline" in csp:
        problems.append(f"weak or missing CSP: {csp!r}")
    body = response.content.decode(errors="replace")
    for match in TAG.finditer(body):
        name, attrs = match.group(1).lower(), match.group(2) or ""
        if name == "style":
            problems.append("a <style> element")
        if name == "script" and not SRC_ATTR.search(attrs):
            problems.append("an inline <script>")
        if STYLE_ATTR.search(attrs):
            problems.append(f"a style attribute: {match.group(0)[:80]}")
        if HANDLER_ATTR.search(attrs):
            problems.append(f"an event-handler attribute: {match.group(0)[:80]}")
    return problems


def assert_page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert page_problems(response) == []
    body: str = response.content.decode()
    return body


@dataclass
class AObjects:
    """One of each object of tenant A, for the pages that show one."""

    case: Case
    feature_request_id: int
    csm_request_id: int
    proposal_id: int


def a_objects(world: World) -> AObjects:
    a = world.a
    case = open_case(a, title="Agents of Alpha cannot log in")
    proposal = case_services.severity_propose(actor=a.dcs[0], case_id=case.pk, severity=3, reason="It eased off.")
    fr = requests_services.feature_request_submit(
        actor=a.dcs[0], service="premier_edition", title="Bulk export", description="CSV of every call."
    )
    macd = requests_services.macd_submit(
        actor=a.dcs[0],
        account_id=a.account.pk,
        service="premier_edition",
        title="Add 3 agents",
        description="Start Monday.",
        local_contact="Pat",
    )
    assert macd.csm_request is not None
    return AObjects(case=case, feature_request_id=fr.pk, csm_request_id=macd.csm_request.pk, proposal_id=proposal.pk)
