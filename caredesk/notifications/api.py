"""Notifications API: a reseller's webhooks (its Designated Contacts and vendor admins), their
deliveries and dead letters, and each person's own notification preferences. Thin: parse, one
service or selector call, render."""

from typing import Literal

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from caredesk.api.base import ErrorOut, actor
from caredesk.notifications import selectors, services, webhook_services
from caredesk.notifications.schemas import (
    PreferencesOut,
    PreferencesPatch,
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

router = Router(tags=["notifications"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
DeliveryState = Literal["queued", "sending", "sent", "dead"]


def _created(endpoint: object, secret: str) -> dict[str, object]:
    return {**{f: getattr(endpoint, f) for f in WebhookOut.model_fields}, "secret": secret}


@router.get("/webhooks", response={200: list[WebhookOut], **ERRORS})
@paginate(CursorPagination, ordering=("id",))
def webhook_list(request: HttpRequest, reseller_id: int | None = None) -> object:
    return selectors.webhook_list_for_actor(actor=actor(request), reseller_id=reseller_id)


@router.post("/webhooks", response={201: WebhookCreatedOut, **ERRORS})
def webhook_create(request: HttpRequest, payload: WebhookIn) -> object:
    endpoint, secret = webhook_services.webhook_create(actor=actor(request), **payload.dict())
    return Status(201, _created(endpoint, secret))


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS})
def webhook_get(request: HttpRequest, webhook_id: int) -> object:
    return selectors.webhook_get_for_actor(actor=actor(request), webhook_id=webhook_id)


@router.patch("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS})
def webhook_update(request: HttpRequest, webhook_id: int, payload: WebhookPatch) -> object:
    return webhook_services.webhook_update(
        actor=actor(request), webhook_id=webhook_id, **payload.dict(exclude_unset=True)
    )


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS})
def webhook_delete(request: HttpRequest, webhook_id: int) -> object:
    webhook_services.webhook_delete(actor=actor(request), webhook_id=webhook_id)
    return Status(204, None)


@router.post("/webhooks/{webhook_id}/rotate-secret", response={200: WebhookCreatedOut, **ERRORS})
def webhook_secret_rotate(request: HttpRequest, webhook_id: int) -> object:
    endpoint, secret = webhook_services.webhook_secret_rotate(actor=actor(request), webhook_id=webhook_id)
    return _created(endpoint, secret)


@router.get("/webhooks/{webhook_id}/deliveries", response={200: list[WebhookDeliveryOut], **ERRORS})
@paginate(CursorPagination, ordering=("-id",))
def webhook_delivery_list(request: HttpRequest, webhook_id: int, status: DeliveryState | None = None) -> object:
    return selectors.webhook_delivery_list_for_actor(actor=actor(request), webhook_id=webhook_id, status=status)


@router.get("/webhook-deliveries", response={200: list[WebhookDeliveryOut], **ERRORS})
@paginate(CursorPagination, ordering=("-id",))
def webhook_delivery_all(request: HttpRequest, status: DeliveryState | None = None) -> object:
    """Every delivery the actor may see; `?status=dead` is the dead-letter list."""
    return selectors.webhook_delivery_list_for_actor(actor=actor(request), status=status)


@router.post("/webhook-deliveries/{delivery_id}/replay", response={200: WebhookDeliveryOut, **ERRORS})
def webhook_delivery_replay(request: HttpRequest, delivery_id: int) -> object:
    delivery = webhook_services.webhook_delivery_replay(actor=actor(request), delivery_id=delivery_id)
    return selectors.webhook_delivery_get_for_actor(actor=actor(request), delivery_id=delivery.pk)


@router.get("/me/notification-preferences", response={200: PreferencesOut, **ERRORS})
def preferences_get(request: HttpRequest) -> object:
    return PreferencesOut.from_preferences(selectors.notification_preferences_for_actor(actor=actor(request)))


@router.patch("/me/notification-preferences", response={200: PreferencesOut, **ERRORS})
def preferences_update(request: HttpRequest, payload: PreferencesPatch) -> object:
    services.notification_preferences_update(
        actor=actor(request),
        email_default=payload.email_default,
        events=[(e.event_kind, e.email) for e in payload.events],
    )
    return PreferencesOut.from_preferences(selectors.notification_preferences_for_actor(actor=actor(request)))
