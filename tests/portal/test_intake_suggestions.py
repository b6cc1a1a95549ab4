"""The intake suggests matching articles and advisories as the DC describes the problem (issue 6
item 7; guide 4.1: consult the User Guide, FAQs and Service Advisories before opening a case)."""

from __future__ import annotations

import pytest

from caredesk.knowledge import services as knowledge
from tests.conftest import World
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db


def test_matching_articles_appear_as_the_problem_is_described_and_others_do_not(world: World) -> None:
    knowledge.article_create(
        actor=world.agent,
        service="pureengage_cloud",
        kind="faq",
        title="Agent desktop times out at login",
        body="If agents cannot **log in**, check the SIP registration first.",
    )
    knowledge.article_create(
        actor=world.agent,
        service="pureengage_cloud",
        kind="faq",
        title="Exporting reports to CSV",
        body="Use the export button.",
    )
    client = login(world.a.dcs[0])
    r = client.get(
        "/cases/new/suggest/",
        {"service": "pureengage_cloud", "title": "Agents cannot log in", "business_impact": "desktop times out"},
    )
    body = r.content.decode()
    assert r.status_code == 200
    assert "Agent desktop times out at login" in body and "<strong>log in</strong>" in body
    assert "Exporting reports" not in body


def test_nothing_is_suggested_without_a_service_or_words(world: World) -> None:
    client = login(world.a.dcs[0])
    assert "Before you submit" not in client.get("/cases/new/suggest/", {"service": "", "title": "x"}).content.decode()
    r = client.get("/cases/new/suggest/", {"service": "no_such_service", "title": "Agents cannot log in"})
    assert r.status_code == 200 and "Before you submit" not in r.content.decode()


def test_the_wizard_asks_for_suggestions_from_the_problem_fields(world: World) -> None:
    from caredesk.domain.cases.intake import LEVEL1_CHECKLIST

    answers = {f"level1.{item}": "yes" for item in LEVEL1_CHECKLIST}
    page = login(world.a.dcs[0]).post("/cases/new/", {"step": "checklist", **answers}).content.decode()
    assert 'id="f-title"' in page, "step 2 of the wizard did not render"
    assert "/cases/new/suggest/" in page and "from:#f-business-impact" in page
