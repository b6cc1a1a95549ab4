"""Knowledge API: service advisories (managers publish, edit, retire; DCs read those of their
services; the intake's Level 1 checklist links to the current ones) and the knowledge base
(articles, full-text search, suggestions while describing a problem). Thin."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from caredesk.api.base import ErrorOut, actor
from caredesk.knowledge import selectors, services
from caredesk.knowledge.schemas import (
    AdvisoryIn,
    AdvisoryOut,
    AdvisoryPatch,
    ArticleBriefOut,
    ArticleIn,
    ArticleOut,
    ArticlePatch,
    RetireIn,
    SuggestIn,
    SuggestOut,
)

router = Router(tags=["knowledge"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/knowledge/advisories", response={200: list[AdvisoryOut], **ERRORS})
def advisory_list(request: HttpRequest, service: str | None = None, include_retired: bool = False) -> object:
    return list(
        selectors.advisory_list_for_actor(actor=actor(request), service=service, include_retired=include_retired)[:200]
    )


@router.get("/knowledge/current-advisories", response={200: list[AdvisoryOut], **ERRORS})
def current_advisories(request: HttpRequest, service: str) -> object:
    """The current advisories of ``service``, most severe first: what the Level 1 checklist's
    "service advisories checked" links to."""
    return selectors.current_advisories_for_actor(actor=actor(request), service=service)


@router.post("/knowledge/advisories", response={201: AdvisoryOut, **ERRORS})
def advisory_publish(request: HttpRequest, payload: AdvisoryIn) -> object:
    return Status(201, services.advisory_publish(actor=actor(request), **payload.dict()))


@router.get("/knowledge/advisories/{advisory_id}", response={200: AdvisoryOut, **ERRORS})
def advisory_get(request: HttpRequest, advisory_id: int) -> object:
    return selectors.advisory_get_for_actor(actor=actor(request), advisory_id=advisory_id)


@router.patch("/knowledge/advisories/{advisory_id}", response={200: AdvisoryOut, **ERRORS})
def advisory_update(request: HttpRequest, advisory_id: int, payload: AdvisoryPatch) -> object:
    me = actor(request)
    selectors.advisory_get_for_actor(actor=me, advisory_id=advisory_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return services.advisory_update(actor=me, advisory_id=advisory_id, **changes)


@router.post("/knowledge/advisories/{advisory_id}/retire", response={200: AdvisoryOut, **ERRORS})
def advisory_retire(request: HttpRequest, advisory_id: int, payload: RetireIn) -> object:
    me = actor(request)
    selectors.advisory_get_for_actor(actor=me, advisory_id=advisory_id)
    return services.advisory_retire(actor=me, advisory_id=advisory_id, reason=payload.reason)


@router.get("/knowledge/articles", response={200: list[ArticleOut], **ERRORS})
def article_list(
    request: HttpRequest, service: str | None = None, kind: str | None = None, q: str | None = None
) -> object:
    """Articles you may read; ``q`` searches their text (best match first)."""
    me = actor(request)
    if q:
        return selectors.article_search_for_actor(actor=me, text=q, service=service, kind=kind)
    return list(selectors.article_list_for_actor(actor=me, service=service, kind=kind)[:200])


@router.post("/knowledge/articles", response={201: ArticleOut, **ERRORS})
def article_create(request: HttpRequest, payload: ArticleIn) -> object:
    return Status(201, services.article_create(actor=actor(request), **payload.dict()))


@router.get("/knowledge/articles/{article_id}", response={200: ArticleOut, **ERRORS})
def article_get(request: HttpRequest, article_id: int) -> object:
    return selectors.article_get_for_actor(actor=actor(request), article_id=article_id)


@router.patch("/knowledge/articles/{article_id}", response={200: ArticleOut, **ERRORS})
def article_update(request: HttpRequest, article_id: int, payload: ArticlePatch) -> object:
    me = actor(request)
    selectors.article_get_for_actor(actor=me, article_id=article_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return services.article_update(actor=me, article_id=article_id, **changes)


@router.post("/knowledge/suggest", response={200: SuggestOut, **ERRORS})
def suggest(request: HttpRequest, payload: SuggestIn) -> object:
    """As the DC describes the problem: matching articles of the service and its current advisories.
    A read: nothing is stored."""
    articles, advisories = selectors.suggest_for_actor(actor=actor(request), service=payload.service, text=payload.text)
    return {
        "service": payload.service,
        "articles": [ArticleBriefOut.from_orm(a) for a in articles],
        "advisories": advisories,
    }
