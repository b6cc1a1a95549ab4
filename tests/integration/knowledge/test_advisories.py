"""Service advisories (DOMAIN.md "Intake", "People and tenancy"): Customer Care managers publish,
edit and retire them per service, in Markdown rendered safely; DCs see those of the services their
accounts subscribe to; the intake's Level 1 checklist links to the current ones, most severe first."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.knowledge import selectors, services
from caredesk.knowledge.models import Advisory
from caredesk.tenancy.models import AuditEvent
from tests.conftest import World
from tests.integration.maintenance.support import z

pytestmark = pytest.mark.django_db


def publish(world: World, **overrides: Any) -> Advisory:
    args: dict[str, Any] = dict(
        actor=world.manager,
        service="premier_edition",
        title="Login delays in EMEA",
        body="Agents may wait **30 s** at login.\n\n<script>alert(1)</script> [status](https://status.example.com) "
        "[bad](javascript:alert(1))",
        severity="major",
        impact="EMEA agents",
    )
    args.update(overrides)
    return services.advisory_publish(**args)


def test_a_manager_publishes_markdown_that_renders_safely(world: World) -> None:
    advisory = publish(world)
    assert "<strong>30 s</strong>" in advisory.body_html
    assert "<script>" not in advisory.body_html and "&lt;script&gt;" in advisory.body_html
    assert 'href="https://status.example.com"' in advisory.body_html and "javascript:" not in advisory.body_html
    assert 'rel="noopener noreferrer nofollow"' in advisory.body_html
    assert advisory.body_md.startswith("Agents may wait **30 s**")
    assert AuditEvent.objects.filter(kind="advisory_published", subject_id=str(advisory.pk)).exists()


def test_only_customer_care_managers_manage_advisories(world: World) -> None:
    for who in (world.agent, world.csm, world.a.dcs[0], world.a.staff):
        with pytest.raises(PermissionDenied):
            publish(world, actor=who)
    advisory = publish(world, actor=world.admin)
    with pytest.raises(PermissionDenied):
        services.advisory_update(actor=world.a.dcs[0], advisory_id=advisory.pk, title="x")
    with pytest.raises(PermissionDenied):
        services.advisory_retire(actor=world.agent, advisory_id=advisory.pk)
    assert Advisory.objects.count() == 1


def test_dcs_see_the_advisories_of_their_services_only(world: World) -> None:
    mine = publish(world)
    other = publish(world, service="social_analytics", title="Mentions delayed")
    assert list(selectors.advisory_list_for_actor(actor=world.a.dcs[0])) == [mine]
    assert list(selectors.advisory_list_for_actor(actor=world.b.staff)) == [mine]
    assert set(selectors.advisory_list_for_actor(actor=world.agent)) == {mine, other}
    with pytest.raises(NotFound):
        selectors.advisory_get_for_actor(actor=world.a.dcs[0], advisory_id=other.pk)
    assert selectors.current_advisories_for_actor(actor=world.a.dcs[0], service="social_analytics") == []


def test_editing_rerenders_and_retiring_removes_it_from_the_current_ones(world: World) -> None:
    advisory = publish(world)
    services.advisory_update(
        actor=world.manager, advisory_id=advisory.pk, body="Fixed in *most* regions.", severity="minor"
    )
    advisory.refresh_from_db()
    assert (advisory.version, advisory.severity, advisory.body_html) == (
        2,
        "minor",
        "<p>Fixed in <em>most</em> regions.</p>",
    )
    services.advisory_retire(actor=world.manager, advisory_id=advisory.pk, reason="Resolved")
    assert selectors.current_advisories_for_actor(actor=world.a.dcs[0], service="premier_edition") == []
    assert list(selectors.advisory_list_for_actor(actor=world.a.dcs[0], include_retired=True)) == [advisory]
    with pytest.raises(InvalidTransition):
        services.advisory_retire(actor=world.manager, advisory_id=advisory.pk)
    with pytest.raises(InvalidTransition):
        services.advisory_update(actor=world.manager, advisory_id=advisory.pk, title="Back")


def test_the_level_1_checklist_gets_the_current_ones_most_severe_first(world: World) -> None:
    info = publish(world, severity="info", title="New login page", actor=world.manager)
    critical = publish(world, severity="critical", title="Outage")
    major = publish(world, severity="major", title="Slow reports")
    future = services.advisory_publish(
        actor=world.manager, service="premier_edition", title="Later", body="b", now=z("2099-01-01 00:00")
    )
    current = selectors.current_advisories_for_actor(actor=world.a.dcs[0], service="premier_edition")
    assert current == [critical, major, info] and future not in current
    with pytest.raises(ValidationFailed):
        selectors.current_advisories_for_actor(actor=world.a.dcs[0], service="premier")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service": "nope"}, "service"),
        ({"title": " "}, "title"),
        ({"body": ""}, "body"),
        ({"severity": "huge"}, "severity"),
        ({"impact": "x" * 501}, "impact"),
    ],
)
def test_bad_advisories_name_the_field_and_create_nothing(world: World, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        publish(world, **overrides)
    assert field in info.value.errors and not Advisory.objects.exists()
