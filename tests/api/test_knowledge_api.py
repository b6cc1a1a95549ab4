"""API contract of the knowledge router: advisories (managers publish, edit, retire; DCs read the
current ones of their services, as the intake's Level 1 checklist does), knowledge-base articles,
search, and the intake's suggestions; role checks and 422s that create nothing."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.knowledge.models import Advisory, Article
from tests.conftest import World

pytestmark = pytest.mark.django_db

ADVISORY = {"service": "premier_edition", "title": "Reports run slowly", "body": "Use **filters**.",
            "severity": "major", "impact": "Supervisors"}  # fmt: skip


def test_a_manager_publishes_edits_and_retires_an_advisory(world: World) -> None:
    manager = world.client(world.manager)
    created = manager.post("/api/knowledge/advisories", ADVISORY)
    assert created.status_code == 201, created.content
    advisory = created.json()
    assert advisory["body_html"] == "<p>Use <strong>filters</strong>.</p>" and advisory["current"] is True
    dc = world.client(world.a.dcs[0])
    assert [a["id"] for a in dc.get("/api/knowledge/current-advisories?service=premier_edition").json()] == [
        advisory["id"]
    ]
    edited = manager.patch(f"/api/knowledge/advisories/{advisory['id']}", {"title": "Reports are slow", "impact": None})
    assert edited.status_code == 200 and (edited.json()["title"], edited.json()["version"]) == ("Reports are slow", 2)
    retired = manager.post(f"/api/knowledge/advisories/{advisory['id']}/retire", {"reason": "Fixed"})
    assert retired.status_code == 200 and retired.json()["current"] is False
    assert dc.get("/api/knowledge/current-advisories?service=premier_edition").json() == []
    assert manager.post(f"/api/knowledge/advisories/{advisory['id']}/retire", {}).status_code == 409
    history = dc.get("/api/knowledge/advisories?include_retired=true").json()
    assert [a["id"] for a in history] == [advisory["id"]]


def test_only_managers_publish_and_dcs_never_see_other_services(world: World) -> None:
    for who in (world.agent, world.a.dcs[0], world.a.staff):
        assert world.client(who).post("/api/knowledge/advisories", ADVISORY).status_code == 403
    other = world.client(world.admin).post("/api/knowledge/advisories", {**ADVISORY, "service": "outbound_engagement"})
    assert other.status_code == 201
    dc = world.client(world.a.dcs[0])
    assert dc.get(f"/api/knowledge/advisories/{other.json()['id']}").status_code == 404
    assert dc.patch(f"/api/knowledge/advisories/{other.json()['id']}", {"title": "x"}).status_code == 404
    assert dc.get("/api/knowledge/current-advisories?service=outbound_engagement").json() == []
    assert dc.get("/api/knowledge/current-advisories?service=nope").status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "nope"}, "service"),
        ({"title": ""}, "title"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"body": 42}, "body"),
        ({"audience": "all"}, "audience"),
    ],
)
def test_bad_advisories_answer_422_with_the_field_and_create_nothing(
    world: World, change: dict[str, Any], field: str
) -> None:
    response = world.client(world.manager).post("/api/knowledge/advisories", {**ADVISORY, **change})
    assert response.status_code == 422 and field in response.json()["error"]["fields"], response.content
    assert not Advisory.objects.filter(service="premier_edition").exists()


def test_articles_are_written_by_customer_care_and_searched_by_dcs(world: World) -> None:
    agent = world.client(world.agent)
    for title, body in [
        ("Reset an agent password", "Use the *Forgot password* link."),
        ("Queue statistics", "Dashboards refresh every minute."),
    ]:
        response = agent.post(
            "/api/knowledge/articles", {"service": "premier_edition", "kind": "faq", "title": title, "body": body}
        )
        assert response.status_code == 201, response.content
    draft = agent.post(
        "/api/knowledge/articles",
        {
            "service": "premier_edition",
            "kind": "user_guide",
            "title": "Password vault",
            "body": "Soon.",
            "is_published": False,
        },
    )
    assert (
        world.client(world.a.dcs[0])
        .post("/api/knowledge/articles", {"service": "premier_edition", "kind": "faq", "title": "t", "body": "b"})
        .status_code
        == 403
    )
    dc = world.client(world.a.dcs[0])
    assert [a["title"] for a in dc.get("/api/knowledge/articles?q=password").json()] == ["Reset an agent password"]
    assert [a["title"] for a in agent.get("/api/knowledge/articles?q=password").json()] == ["Reset an agent password"]
    assert dc.get(f"/api/knowledge/articles/{draft.json()['id']}").status_code == 404
    published = agent.patch(f"/api/knowledge/articles/{draft.json()['id']}", {"is_published": True})
    assert published.status_code == 200 and published.json()["version"] == 2
    assert {a["title"] for a in dc.get("/api/knowledge/articles?q=password").json()} == {
        "Reset an agent password",
        "Password vault",
    }
    assert [a["title"] for a in dc.get("/api/knowledge/articles?kind=user_guide").json()] == ["Password vault"]
    bad = agent.post(
        "/api/knowledge/articles", {"service": "premier_edition", "kind": "novel", "title": "", "body": "b"}
    )
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"kind", "title"}
    assert Article.objects.filter(service="premier_edition").count() == 3


def test_the_intake_suggests_articles_and_current_advisories_as_the_problem_is_described(world: World) -> None:
    world.client(world.agent).post(
        "/api/knowledge/articles",
        {"service": "premier_edition", "kind": "faq", "title": "Softphone has no audio", "body": "Check the headset."},
    )
    world.client(world.manager).post("/api/knowledge/advisories", ADVISORY)
    dc = world.client(world.a.dcs[0])
    text = "Agents hear no audio on the softphone since the upgrade."
    body = dc.post("/api/knowledge/suggest", {"service": "premier_edition", "text": text}).json()
    assert [a["title"] for a in body["articles"]] == ["Softphone has no audio"]
    assert [a["title"] for a in body["advisories"]] == ["Reports run slowly"]
    refused = dc.post("/api/knowledge/suggest", {"service": "premier_edition"})
    assert refused.status_code == 422 and "text" in refused.json()["error"]["fields"]
