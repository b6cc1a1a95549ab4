"""Tables for tenants and people: resellers, users (with roles), End User Accounts, subscriptions,
API tokens. Rules live in caredesk.domain.tenancy and in services.py, never here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from caredesk.domain.tenancy.roles import VENDOR_ROLES, Role
from caredesk.domain.tenancy.services import CloudService, SupportPackage


class Reseller(models.Model):
    name = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(role=Role.VENDOR_ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: vendor side (no reseller) or a reseller's Designated Contact / staff."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=32, choices=[(r.value, r.value) for r in Role])
    reseller = models.ForeignKey(
        Reseller, null=True, blank=True, on_delete=models.PROTECT, related_name="users", db_index=False
    )
    available_24x7 = models.BooleanField(
        default=False, help_text="Available at all times to work with Customer Care on Critical cases."
    )
    timezone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin (vendor admins).")
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        indexes = [models.Index(fields=["reseller", "role", "is_active"])]
        constraints = [
            models.CheckConstraint(
                name="user_reseller_matches_role",
                condition=(
                    Q(role__in=sorted(r.value for r in VENDOR_ROLES), reseller__isnull=True)
                    | (~Q(role__in=sorted(r.value for r in VENDOR_ROLES)) & Q(reseller__isnull=False))
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def tenant_id(self) -> int:
        """The reseller of a reseller-side user (the tenant key); vendor users have none."""
        if self.reseller_id is None:
            raise ValueError(f"{self.role} {self.pk} belongs to no reseller")
        return self.reseller_id


class EndUserAccount(models.Model):
    """A customer of one reseller, with its business calendar (CAL JSON of the SLA engine)."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="accounts", db_index=False)
    name = models.CharField(max_length=200)
    department = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    calendar = models.JSONField(help_text="Business calendar: timezone, hours, holidays, ...")
    csm = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="csm_accounts",
        limit_choices_to={"role": Role.CSM.value},
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["reseller", "name", "department"], name="account_unique_per_reseller")
        ]

    def __str__(self) -> str:
        return f"{self.name} / {self.department}" if self.department else self.name


class Subscription(models.Model):
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="subscriptions")
    account = models.ForeignKey(EndUserAccount, on_delete=models.PROTECT, related_name="subscriptions", db_index=False)
    service = models.CharField(max_length=32, choices=[(s.value, s.value) for s in CloudService])
    package = models.CharField(max_length=32, choices=[(p.value, p.value) for p in SupportPackage])
    term_start = models.DateField()
    term_end = models.DateField()
    deployment_timezone = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["account_id", "service"]
        constraints = [
            models.CheckConstraint(name="subscription_term_order", condition=Q(term_end__gte=models.F("term_start"))),
        ]
        indexes = [models.Index(fields=["account", "service", "term_start"])]

    def __str__(self) -> str:
        return f"{self.account} · {self.service} · {self.package}"


class ApiToken(models.Model):
    """A bearer token bound to a user. Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    reseller = models.ForeignKey(Reseller, null=True, blank=True, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a token in lists.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class AuditEvent(models.Model):
    """The administrative timeline: who changed which tenant object, when, from what to what."""

    reseller = models.ForeignKey(Reseller, null=True, blank=True, on_delete=models.PROTECT, db_index=False)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=32, blank=True)
    channel = models.CharField(max_length=16, default="api")
    at = models.DateTimeField(default=now)
    kind = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"]), models.Index(fields=["reseller", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.subject_type}#{self.subject_id}"


class RateCounter(models.Model):
    """Fixed-window request counters for API rate limits: one atomic upsert per request, shared by
    every web process through the database (no cache server needed)."""

    key = models.CharField(max_length=100)
    window = models.BigIntegerField(help_text="The window's start in POSIX seconds.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_counter_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}: {self.count}"
