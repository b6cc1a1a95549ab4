"""Writes for tenants and people. Each function is the one write path for its concept and leaves an
AuditEvent in the same transaction."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils.timezone import now

from caredesk.domain.errors import NotFound, PermissionDenied, ValidationFailed
from caredesk.domain.tenancy import roles
from caredesk.domain.tenancy.roles import Role
from caredesk.domain.tenancy.services import CloudService, SupportPackage, needs_deployment_timezone
from caredesk.sqlrows import Columns
from caredesk.tenancy.models import ApiToken, AuditEvent, EndUserAccount, Reseller, Subscription, User

TOKEN_PREFIX = "cdk_"  # noqa: S105 -- a public marker, not a secret


def audit_record(
    *,
    actor: User | None,
    kind: str,
    subject: Any,
    reseller_id: int | None,
    data: dict[str, Any] | None = None,
    channel: str = "api",
) -> AuditEvent:
    saved_actor = actor if actor is not None and actor.pk is not None else None
    return AuditEvent.objects.create(
        actor=saved_actor,
        actor_role=saved_actor.role if saved_actor else "system",
        channel=channel,
        kind=kind,
        subject_type=type(subject).__name__,
        subject_id=str(subject.pk),
        reseller_id=reseller_id,
        data=data or {},
    )


def _require_admin(actor: User) -> None:
    if actor.role_enum is not Role.VENDOR_ADMIN:
        raise PermissionDenied("Only a vendor admin may do this.")


def _check_timezone(name: str, field: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"unknown time zone {name!r}", errors={field: f"unknown IANA time zone {name!r}"}
        ) from None
    return name


def _reseller_for_input(reseller_id: int | None, field: str = "reseller_id") -> Reseller:
    reseller = Reseller.objects.filter(pk=reseller_id, is_active=True).first() if reseller_id else None
    if reseller is None:
        raise ValidationFailed("no such reseller", errors={field: "no such reseller"})
    return reseller


@transaction.atomic
def reseller_create(*, actor: User, name: str) -> Reseller:
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise ValidationFailed("name is required", errors={"name": "must not be empty"})
    if Reseller.objects.filter(name__iexact=name).exists():
        raise ValidationFailed("a reseller with this name exists", errors={"name": "a reseller with this name exists"})
    reseller = Reseller.objects.create(name=name)
    audit_record(actor=actor, kind="reseller_created", subject=reseller, reseller_id=reseller.pk, data={"name": name})
    return reseller


@transaction.atomic
def user_create(
    *,
    actor: User,
    email: str,
    name: str,
    role: str,
    reseller_id: int | None = None,
    phone: str = "",
    available_24x7: bool = False,
    timezone_name: str = "UTC",
    password: str | None = None,
    channel: str = "api",
) -> User:
    _require_admin(actor)
    errors: dict[str, str] = {}
    email = email.strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = f"{email!r} is not a valid e-mail address"
    parsed_role: Role | None = None
    try:
        parsed_role = roles.parse_role(role)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not name.strip():
        errors["name"] = "must not be empty"
    try:
        _check_timezone(timezone_name, "timezone")
    except ValidationFailed as exc:
        errors.update(exc.errors)
    reseller: Reseller | None = None
    if reseller_id is not None:
        try:
            reseller = _reseller_for_input(reseller_id)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if parsed_role is not None and "reseller_id" not in errors:
        try:
            roles.check_role_tenant(parsed_role, reseller_id)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if "email" not in errors and User.objects.filter(email=email).exists():
        errors["email"] = "a user with this e-mail address exists"
    if password is not None and not errors:
        try:
            validate_password(password, User(email=email, name=name))
        except DjangoValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    if errors:
        raise ValidationFailed("the user cannot be created", errors=errors)
    assert parsed_role is not None
    try:
        user = User.objects.create_user(
            email,
            password,
            name=name.strip(),
            role=parsed_role.value,
            reseller=reseller,
            phone=phone.strip(),
            available_24x7=available_24x7,
            timezone=timezone_name,
            is_staff=parsed_role is Role.VENDOR_ADMIN,
            is_superuser=parsed_role is Role.VENDOR_ADMIN,
        )
    except IntegrityError:
        raise ValidationFailed(
            "a user with this e-mail address exists", errors={"email": "a user with this e-mail address exists"}
        ) from None
    audit_record(
        actor=actor,
        kind="user_created",
        subject=user,
        reseller_id=user.reseller_id,
        channel=channel,
        data={"email": email, "role": parsed_role.value},
    )
    return user


def _active_dc_count(reseller_id: int, *, lock: bool) -> int:
    qs = User.objects.filter(reseller_id=reseller_id, role=Role.DESIGNATED_CONTACT.value, is_active=True)
    if lock:
        # Serialise concurrent deactivations of one reseller's DCs: both cannot pass the count check.
        Reseller.objects.select_for_update().filter(pk=reseller_id).first()
    return qs.count()


@transaction.atomic
def user_deactivate(*, actor: User, user_id: int) -> User:
    _require_admin(actor)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("user not found")
    if not user.is_active:
        return user
    if user.role == Role.DESIGNATED_CONTACT.value and user.reseller_id is not None:
        roles.check_can_remove_designated_contact(_active_dc_count(user.reseller_id, lock=True))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now())
    audit_record(actor=actor, kind="user_deactivated", subject=user, reseller_id=user.reseller_id)
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user_id: int,
    name: str | None = None,
    phone: str | None = None,
    available_24x7: bool | None = None,
    timezone_name: str | None = None,
    role: str | None = None,
) -> User:
    """A vendor admin edits anyone; a user edits their own contact details (not their role)."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound("user not found")
    is_admin = actor.role_enum is Role.VENDOR_ADMIN
    if not is_admin and actor.pk != user.pk:
        raise NotFound("user not found")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if role is not None and role != user.role:
        if not is_admin:
            raise PermissionDenied("Only a vendor admin may change a role.")
        new_role = roles.parse_role(role)
        roles.check_role_tenant(new_role, user.reseller_id)
        if user.role == Role.DESIGNATED_CONTACT.value and user.is_active and user.reseller_id is not None:
            roles.check_can_remove_designated_contact(_active_dc_count(user.reseller_id, lock=True))
        before["role"], after["role"] = user.role, new_role.value
        user.role = new_role.value
        # The Django admin follows the role: a vendor admin moved to another role loses it at once.
        user.is_staff = user.is_superuser = new_role is Role.VENDOR_ADMIN
    if timezone_name is not None:
        _check_timezone(timezone_name, "timezone")
    for field, value in (
        ("name", name),
        ("phone", phone),
        ("available_24x7", available_24x7),
        ("timezone", timezone_name),
    ):
        if value is not None and getattr(user, field) != value:
            if field == "name" and not str(value).strip():
                raise ValidationFailed("name must not be empty", errors={"name": "must not be empty"})
            before[field], after[field] = getattr(user, field), value
            setattr(user, field, value)
    if after:
        user.save()
        audit_record(
            actor=actor,
            kind="user_updated",
            subject=user,
            reseller_id=user.reseller_id,
            data={"before": before, "after": after},
        )
    return user


def _normalised_calendar(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate a business calendar with the SLA engine; field errors come back under "calendar."."""
    from caredesk.domain.sla.calendar import BusinessCalendar

    try:
        return BusinessCalendar.from_dict(raw).to_dict()
    except ValidationFailed as exc:
        fields = {f"calendar.{k}" if k else "calendar": v for k, v in (exc.errors or {"": exc.message}).items()}
        raise ValidationFailed(f"invalid business calendar: {exc.message}", errors=fields) from None


def _check_csm(csm_id: int | None) -> User | None:
    if csm_id is None:
        return None
    csm = User.objects.filter(pk=csm_id, role=Role.CSM.value, is_active=True).first()
    if csm is None:
        raise ValidationFailed("no such CSM", errors={"csm_id": "no active CSM with this id"})
    return csm


@transaction.atomic
def account_create(
    *,
    actor: User,
    reseller_id: int,
    name: str,
    department: str = "",
    country: str = "",
    calendar: dict[str, Any] | None = None,
    csm_id: int | None = None,
) -> EndUserAccount:
    _require_admin(actor)
    errors: dict[str, str] = {}
    reseller = None
    try:
        reseller = _reseller_for_input(reseller_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not name.strip():
        errors["name"] = "must not be empty"
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = "use a two-letter ISO 3166-1 country code"
    cal = calendar if calendar is not None else {"timezone": "UTC"}
    try:
        cal = _normalised_calendar(cal)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        csm = _check_csm(csm_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed("the account cannot be created", errors=errors)
    assert reseller is not None
    if EndUserAccount.objects.filter(reseller=reseller, name=name.strip(), department=department.strip()).exists():
        raise ValidationFailed(
            "this account exists", errors={"name": "this reseller already has an account with this name and department"}
        )
    account = EndUserAccount.objects.create(
        reseller=reseller,
        name=name.strip(),
        department=department.strip(),
        country=country.upper(),
        calendar=cal,
        csm=csm,
    )
    audit_record(
        actor=actor,
        kind="account_created",
        subject=account,
        reseller_id=reseller.pk,
        data={"name": account.name, "calendar": cal},
    )
    return account


@transaction.atomic
def account_update(
    *,
    actor: User,
    account_id: int,
    calendar: dict[str, Any] | None = None,
    csm_id: int | None = None,
    clear_csm: bool = False,
) -> EndUserAccount:
    _require_admin(actor)
    account = EndUserAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFound("account not found")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if calendar is not None:
        cal = _normalised_calendar(calendar)
        before["calendar"], after["calendar"] = account.calendar, cal
        account.calendar = cal
    if clear_csm or csm_id is not None:
        csm = None if clear_csm else _check_csm(csm_id)
        before["csm_id"], after["csm_id"] = account.csm_id, csm.pk if csm else None
        account.csm = csm
    account.save()
    audit_record(
        actor=actor,
        kind="account_updated",
        subject=account,
        reseller_id=account.reseller_id,
        data={"before": before, "after": after},
    )
    return account


@transaction.atomic
def subscription_create(
    *,
    actor: User,
    account_id: int,
    service: str,
    package: str,
    term_start: date,
    term_end: date,
    deployment_timezone: str = "",
) -> Subscription:
    _require_admin(actor)
    errors: dict[str, str] = {}
    account = EndUserAccount.objects.filter(pk=account_id).first()
    if account is None:
        errors["account_id"] = "no such account"
    parsed_service: CloudService | None = None
    try:
        parsed_service = CloudService(service)
    except ValueError:
        errors["service"] = f"unknown cloud service {service!r}; use one of: {', '.join(s.value for s in CloudService)}"
    try:
        SupportPackage(package)
    except ValueError:
        errors["package"] = (
            f"unknown support package {package!r}; use one of: {', '.join(p.value for p in SupportPackage)}"
        )
    if term_end < term_start:
        errors["term_end"] = "the term must not end before it starts"
    if parsed_service is not None and needs_deployment_timezone(parsed_service) and not deployment_timezone:
        errors["deployment_timezone"] = (
            "PureEngage Cloud needs the deployment's time zone (maintenance runs on its local time)"
        )
    if deployment_timezone:
        try:
            _check_timezone(deployment_timezone, "deployment_timezone")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if account is not None and parsed_service is not None and "term_end" not in errors:
        overlapping = Subscription.objects.filter(
            account=account, service=parsed_service.value, term_start__lte=term_end, term_end__gte=term_start
        ).exists()
        if overlapping:
            errors["term_start"] = "this account already subscribes to this service for part of that term"
    if errors:
        raise ValidationFailed("the subscription cannot be created", errors=errors)
    assert account is not None and parsed_service is not None
    subscription = Subscription.objects.create(
        reseller_id=account.reseller_id,
        account=account,
        service=parsed_service.value,
        package=package,
        term_start=term_start,
        term_end=term_end,
        deployment_timezone=deployment_timezone,
    )
    audit_record(
        actor=actor,
        kind="subscription_created",
        subject=subscription,
        reseller_id=account.reseller_id,
        data={"service": service, "package": package, "term": [str(term_start), str(term_end)]},
    )
    return subscription


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, actor: User, user_id: int | None = None, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Mint a token. Anyone may mint their own; a vendor admin may mint one for any active user.
    Returns the row and the secret, which is never stored and never shown again."""
    target = actor
    if user_id is not None and user_id != actor.pk:
        if actor.role_enum is not Role.VENDOR_ADMIN:
            raise PermissionDenied("Only a vendor admin may mint a token for another user.")
        other = User.objects.filter(pk=user_id, is_active=True).first()
        if other is None:
            raise ValidationFailed("no such user", errors={"user_id": "no active user with this id"})
        target = other
    if not name.strip():
        raise ValidationFailed("name is required", errors={"name": "must not be empty"})
    if expires_at is not None and expires_at <= now():
        raise ValidationFailed("expiry in the past", errors={"expires_at": "must be in the future"})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=target,
        reseller_id=target.reseller_id,
        name=name.strip(),
        prefix=secret[:10],
        digest=token_digest(secret),
        created_by=actor,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        kind="token_created",
        subject=token,
        reseller_id=target.reseller_id,
        data={"user_id": target.pk, "name": token.name, "prefix": token.prefix},
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User, token_id: int) -> ApiToken:
    from caredesk.tenancy.selectors import token_get_for_actor

    token = token_get_for_actor(actor=actor, token_id=token_id)
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, kind="token_revoked", subject=token, reseller_id=token.reseller_id)
    return token


_TOKEN_COLUMNS = Columns(ApiToken, "t", ["id", "user_id", "last_used_at", "expires_at", "revoked_at"])
_TOKEN_USER_COLUMNS = Columns(User, "u")
_TOKEN_SQL = (
    f"SELECT {_TOKEN_COLUMNS.sql}, {_TOKEN_USER_COLUMNS.sql} "  # noqa: S608 -- our own tables and columns
    f'FROM "{ApiToken._meta.db_table}" t JOIN "{User._meta.db_table}" u ON u."id" = t."user_id" '
    'WHERE t."digest" = %s'
)


def _token_with_user(digest: str) -> ApiToken | None:
    """The token of ``digest`` and its user, in one statement written once: every API request
    makes this look-up, and the ORM's building of the same join cost more CPU than the rest of it
    (docs/performance.md, "Creation")."""
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_TOKEN_COLUMNS)
    token = _TOKEN_COLUMNS.build(row[:split], connection.alias)
    token.user = _TOKEN_USER_COLUMNS.build(row[split:], connection.alias)
    return token


def token_authenticate(secret: str) -> User | None:
    """The user a bearer secret belongs to, or None if unknown, revoked, expired or inactive."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = _token_with_user(token_digest(secret))
    at = now()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= at:
        return None
    if token.last_used_at is None or (at - token.last_used_at).total_seconds() > 60:
        # Bounded write amplification: at most one update a minute per token.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
    token.user.api_token_id = token.pk  # type: ignore[attr-defined]
    return token.user
