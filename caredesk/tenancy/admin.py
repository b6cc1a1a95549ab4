"""The vendor's back office for tenants and people. Creation of users and tokens goes through the
services (the admin only edits descriptive fields), so every rule and audit event still applies."""

from __future__ import annotations

from django.contrib import admin

from caredesk.tenancy.models import ApiToken, AuditEvent, EndUserAccount, Reseller, Subscription, User


class SubscriptionInline(admin.TabularInline[Subscription, EndUserAccount]):
    model = Subscription
    extra = 0
    fields = ("service", "package", "term_start", "term_end", "deployment_timezone")


@admin.register(Reseller)
class ResellerAdmin(admin.ModelAdmin[Reseller]):
    list_display = ("name", "is_active", "created_at")
    search_fields = ("name",)


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ("email", "name", "role", "reseller", "available_24x7", "is_active")
    list_filter = ("role", "is_active", "reseller")
    search_fields = ("email", "name")
    # is_staff and is_superuser open this back office to every tenant: they follow the role (the
    # service sets them for vendor admins) and are never toggled here, so no reseller-side user
    # can be given them by a slip (tests/security/test_sessions.py).
    readonly_fields = ("role", "reseller", "is_active", "is_staff", "is_superuser", "last_login", "date_joined")
    exclude = ("password", "groups", "user_permissions")

    def has_add_permission(self, request: object) -> bool:
        return False  # users are created through caredesk's service (POST /api/users), which checks every rule


@admin.register(EndUserAccount)
class EndUserAccountAdmin(admin.ModelAdmin[EndUserAccount]):
    list_display = ("name", "department", "reseller", "country", "csm")
    list_filter = ("reseller",)
    search_fields = ("name", "department")
    inlines = [SubscriptionInline]
    readonly_fields = ("reseller",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "reseller", "prefix", "digest", "created_at", "created_by", "last_used_at")
    search_fields = ("prefix", "name", "user__email")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("at", "kind", "actor", "actor_role", "subject_type", "subject_id")
    list_filter = ("kind",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
