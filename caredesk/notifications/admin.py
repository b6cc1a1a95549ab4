"""Read-only back office views of the outbox: every change goes through the services and the API
(replay, webhook changes), so audit events are never skipped. Webhook secrets are never shown."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from caredesk.notifications.models import EmailDelivery, Notification, WebhookDelivery, WebhookEndpoint


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin[Notification]):
    list_display = ("id", "event_kind", "dedupe_key", "reseller", "created_at")
    list_filter = ("event_kind",)
    search_fields = ("dedupe_key",)


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdmin[EmailDelivery]):
    list_display = ("id", "to_address", "status", "attempts", "reclaims", "due_at", "delivered_at")
    list_filter = ("status",)
    search_fields = ("to_address", "message_id", "dedupe_key")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin[WebhookDelivery]):
    list_display = ("id", "endpoint", "status", "attempts", "last_status_code", "due_at", "delivered_at")
    list_filter = ("status",)
    search_fields = ("idempotency_id", "dedupe_key")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin[WebhookEndpoint]):
    list_display = ("id", "reseller", "url", "active", "created_at")
    list_filter = ("active",)
    exclude = ("secret",)
