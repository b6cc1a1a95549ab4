"""The knowledge base (DOMAIN.md "Intake": the User Guide and FAQ the DC consults first): Customer
Care writes articles per service in Markdown; DCs read the published ones of their services; search
is PostgreSQL full-text search on PostgreSQL and a simple match on SQLite, and the same
expectations hold on both; the intake's suggestions share any significant word with the problem."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from caredesk.domain.errors import NotFound, PermissionDenied, ValidationFailed
from caredesk.knowledge import selectors, services
from caredesk.knowledge.models import Article
from caredesk.knowledge.search import words
from tests.conftest import World

pytestmark = pytest.mark.django_db


def write(world: World, title: str, body: str, **overrides: Any) -> Article:
    args: dict[str, Any] = dict(actor=world.agent, service="premier_edition", kind="faq", title=title, body=body)
    args.update(overrides)
    return services.article_create(**args)


@pytest.fixture
def library(world: World) -> dict[str, Article]:
    return {
        "reset": write(world, "Password reset for agents", "Open the login page and choose *Forgot password*."),
        "softphone": write(
            world,
            "Softphone has no audio",
            "Check the headset and the browser microphone permission.",
            kind="user_guide",
        ),
        "login": write(world, "Supervisor dashboards", "After login, the dashboard shows queue statistics."),
        "draft": write(world, "Unreleased dialer password policy", "Draft.", is_published=False),
        "social": write(
            world, "Password rules for social accounts", "Rotate every 90 days.", service="social_analytics"
        ),
    }


def titles(found: list[Article]) -> list[str]:
    return [a.title for a in found]


def test_search_needs_every_word_and_ranks_title_matches_first(world: World, library: dict[str, Article]) -> None:
    dc = world.a.dcs[0]
    assert titles(selectors.article_search_for_actor(actor=dc, text="password")) == ["Password reset for agents"]
    assert titles(selectors.article_search_for_actor(actor=dc, text="login password")) == ["Password reset for agents"]
    found = selectors.article_search_for_actor(actor=dc, text="login")
    assert set(titles(found)) == {"Password reset for agents", "Supervisor dashboards"}
    assert selectors.article_search_for_actor(actor=dc, text="microphone", kind="faq") == []
    assert titles(selectors.article_search_for_actor(actor=dc, text="microphone")) == ["Softphone has no audio"]
    assert selectors.article_search_for_actor(actor=dc, text="the and") == []  # no significant word


def test_care_searches_everything_including_drafts_of_every_service(world: World, library: dict[str, Article]) -> None:
    found = titles(selectors.article_search_for_actor(actor=world.agent, text="password"))
    assert set(found) == {"Password reset for agents", "Password rules for social accounts"}
    assert titles(
        selectors.article_list_for_actor(
            actor=world.agent, include_unpublished=True, service="premier_edition", kind="faq"
        )
    ) == ["Password reset for agents", "Supervisor dashboards", "Unreleased dialer password policy"]


def test_dcs_read_published_articles_of_their_services_only(world: World, library: dict[str, Article]) -> None:
    dc = world.b.dcs[0]
    assert selectors.article_get_for_actor(actor=dc, article_id=library["reset"].pk) == library["reset"]
    for hidden in ("draft", "social"):
        with pytest.raises(NotFound):
            selectors.article_get_for_actor(actor=dc, article_id=library[hidden].pk)
    assert selectors.article_get_for_actor(actor=world.agent, article_id=library["draft"].pk) == library["draft"]


def test_suggestions_share_any_word_with_the_problem_and_bring_the_current_advisories(
    world: World, library: dict[str, Article]
) -> None:
    published = services.advisory_publish(
        actor=world.manager, service="premier_edition", title="Login delays", body="Known issue."
    )
    articles, advisories = selectors.suggest_for_actor(
        actor=world.a.dcs[0],
        service="premier_edition",
        text="Since this morning our agents cannot hear callers: the softphone audio is silent after login.",
    )
    assert titles(articles)[0] == "Softphone has no audio"
    assert set(titles(articles)) == {"Softphone has no audio", "Supervisor dashboards", "Password reset for agents"}
    assert advisories == [published]
    assert selectors.suggest_for_actor(actor=world.a.dcs[0], service="premier_edition", text="zzz qqq") == (
        [],
        [published],
    )
    with pytest.raises(ValidationFailed):
        selectors.suggest_for_actor(actor=world.a.dcs[0], service="nope", text="audio")


def test_only_customer_care_writes_articles_and_edits_rerender(world: World) -> None:
    for who in (world.a.dcs[0], world.a.staff, world.csm):
        with pytest.raises(PermissionDenied):
            write(world, "t", "b", actor=who)
    article = write(world, "Queues", "# Queues\n\n<img src=x onerror=alert(1)>")
    assert "<h1>Queues</h1>" in article.body_html and "<img" not in article.body_html
    services.article_update(actor=world.manager, article_id=article.pk, body="Now *simpler*.", is_published=False)
    article.refresh_from_db()
    assert (article.body_html, article.is_published, article.version) == ("<p>Now <em>simpler</em>.</p>", False, 2)
    with pytest.raises(ValidationFailed) as info:
        services.article_update(actor=world.manager, article_id=article.pk, kind="novel", title="")
    assert set(info.value.errors) == {"kind", "title"}
    article.refresh_from_db()
    assert article.version == 2 and article.title == "Queues"


def test_significant_words_drop_stop_words_and_repeats() -> None:
    assert words("The login page and THE login button: it's broken!") == ["login", "page", "button", "broken"]


def test_postgresql_stems_words_where_sqlite_matches_substrings(world: World, library: dict[str, Article]) -> None:
    found = titles(selectors.article_search_for_actor(actor=world.agent, text="resetting passwords"))
    if connection.vendor == "postgresql":
        assert found == ["Password reset for agents"]  # "resetting" and "passwords" stem to reset, password
    else:
        assert found == []  # neither word is a substring of the article
    assert titles(selectors.article_search_for_actor(actor=world.agent, text="reset password")) == [
        "Password reset for agents"
    ]
