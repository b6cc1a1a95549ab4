"""In and Out schemas of the knowledge API. Bodies are Markdown in, Markdown and safe HTML out."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from caredesk.api.base import InSchema


class AdvisoryIn(InSchema):
    service: str = Field(max_length=32)
    title: str = Field(max_length=200)
    body: str = Field(description="Markdown.", max_length=100_000)
    severity: str = Field(default="info", description="info, minor, major or critical")
    impact: str = Field(default="", max_length=500)


class AdvisoryPatch(InSchema):
    title: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=100_000)
    severity: str | None = None
    impact: str | None = Field(default=None, max_length=500)


class RetireIn(InSchema):
    reason: str = Field(default="", max_length=2000)


class AdvisoryOut(Schema):
    id: int
    service: str
    title: str
    body: str = Field(validation_alias="body_md")
    body_html: str
    severity: str
    impact: str
    published_at: datetime
    updated_at: datetime
    retired_at: datetime | None
    retire_reason: str
    version: int
    current: bool

    @staticmethod
    def resolve_current(obj: object) -> bool:
        return getattr(obj, "retired_at", None) is None


class ArticleIn(InSchema):
    service: str = Field(max_length=32)
    kind: str = Field(description="user_guide or faq")
    title: str = Field(max_length=200)
    body: str = Field(description="Markdown.", max_length=100_000)
    is_published: bool = True


class ArticlePatch(InSchema):
    kind: str | None = None
    title: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=100_000)
    is_published: bool | None = None


class ArticleOut(Schema):
    id: int
    service: str
    kind: str
    title: str
    body: str = Field(validation_alias="body_md")
    body_html: str
    is_published: bool
    created_at: datetime
    updated_at: datetime
    version: int


class ArticleBriefOut(Schema):
    id: int
    service: str
    kind: str
    title: str


class SuggestIn(InSchema):
    service: str = Field(max_length=32)
    text: str = Field(max_length=20_000, description="The problem as the DC describes it.")


class SuggestOut(Schema):
    service: str
    articles: list[ArticleBriefOut]
    advisories: list[AdvisoryOut]
