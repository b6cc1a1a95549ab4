"""Read-only back office views of maintenance rows: every change goes through the services (and
the API), so that the timeline and the notifications are never skipped."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from caredesk.maintenance.models import CalendarFeed, MaintenanceNotice, NoticeReseller, RescheduleRequest


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(RescheduleRequest)
class RescheduleRequestAdmin(ReadOnlyAdmin[RescheduleRequest]):
    list_display = ("id", "account", "service", "planned_start", "proposed_start", "status", "requested_at")
    list_filter = ("status", "service")


@admin.register(MaintenanceNotice)
class MaintenanceNoticeAdmin(ReadOnlyAdmin[MaintenanceNotice]):
    list_display = ("id", "service", "start", "end", "emergency", "posted_at", "cancelled_at")
    list_filter = ("service", "emergency")


@admin.register(NoticeReseller)
class NoticeResellerAdmin(ReadOnlyAdmin[NoticeReseller]):
    list_display = ("notice", "reseller", "notified_at")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin[CalendarFeed]):
    list_display = ("prefix", "reseller", "account", "created_at", "revoked_at", "last_fetched_at")
    exclude = ("digest",)
