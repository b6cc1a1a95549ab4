"""Request and response bodies of the notifications API (separate In and Out schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from caredesk.api.base import InSchema


class WebhookIn(InSchema):
    url: str = Field(max_length=500, description="http:// or https://; public addresses only.")
    event_types: list[str] = Field(description='Event kinds to receive, or ["*"] for every kind.')
    description: str = Field("", max_length=200)
    active: bool = True
    reseller_id: int | None = Field(None, description="Vendor admins name the reseller; a DC's is their own.")


class WebhookPatch(InSchema):
    url: str | None = Field(None, max_length=500)
    event_types: list[str] | None = None
    description: str | None = Field(None, max_length=200)
    active: bool | None = None


class WebhookOut(Schema):
    id: int
    reseller_id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(
        description="The HMAC-SHA256 signing secret. Shown once, here; rotate it if it is lost. Verify "
        "X-Caredesk-Signature: t=<unix>,v1=<hex HMAC of '<t>.' + body>."
    )


class WebhookDeliveryOut(Schema):
    id: int
    webhook_id: int = Field(alias="endpoint_id")
    idempotency_id: UUID = Field(description="Sent as X-Caredesk-Delivery; the same on every retry.")
    event_kind: str = Field(alias="notification.event_kind")
    status: str
    attempts: int
    due_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    replayed_at: datetime | None


class KindChoiceIn(InSchema):
    event_kind: str = Field(max_length=64)
    email: bool | None = Field(description="true / false, or null to drop the choice (the default applies).")


class PreferencesPatch(InSchema):
    email_default: bool | None = Field(None, description="E-mail for every kind without a choice of its own.")
    events: list[KindChoiceIn] = []


class KindChoiceOut(Schema):
    event_kind: str
    email: bool
    chosen: bool = Field(description="false: the default applies")
    description: str


class PreferencesOut(Schema):
    email_default: bool
    events: list[KindChoiceOut]

    @staticmethod
    def from_preferences(prefs: Any) -> dict[str, Any]:
        return {"email_default": prefs.email_default, "events": [vars(e) for e in prefs.events]}
