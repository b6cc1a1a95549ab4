"""In and Out schemas of the tenancy API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from caredesk.api.base import InSchema


class ResellerIn(InSchema):
    name: str = Field(min_length=1, max_length=200)


class ResellerOut(Schema):
    id: int
    name: str
    is_active: bool
    active_designated_contacts: int = Field(validation_alias="active_dc_count")
    can_open_cases: bool

    @staticmethod
    def resolve_can_open_cases(obj: Any) -> bool:
        return int(obj.active_dc_count) >= 2


class UserIn(InSchema):
    email: str = Field(max_length=254)
    name: str = Field(max_length=200)
    role: str
    reseller_id: int | None = None
    phone: str = Field(default="", max_length=40)
    available_24x7: bool = False
    timezone: str = "UTC"
    password: str | None = Field(default=None, max_length=200)


class UserPatch(InSchema):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    available_24x7: bool | None = None
    timezone: str | None = None
    role: str | None = None


class UserOut(Schema):
    id: int
    email: str
    name: str
    role: str
    reseller_id: int | None
    phone: str
    available_24x7: bool
    timezone: str
    is_active: bool


class AccountIn(InSchema):
    reseller_id: int
    name: str = Field(max_length=200)
    department: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=2)
    calendar: dict[str, Any] | None = None
    csm_id: int | None = None


class AccountPatch(InSchema):
    calendar: dict[str, Any] | None = None
    csm_id: int | None = None
    clear_csm: bool = False


class AccountOut(Schema):
    id: int
    reseller_id: int
    name: str
    department: str
    country: str
    calendar: dict[str, Any]
    csm_id: int | None


class SubscriptionIn(InSchema):
    account_id: int
    service: str
    package: str
    term_start: date
    term_end: date
    deployment_timezone: str = ""


class SubscriptionOut(Schema):
    id: int
    reseller_id: int
    account_id: int
    service: str
    package: str
    term_start: date
    term_end: date
    deployment_timezone: str


class TokenIn(InSchema):
    name: str = Field(max_length=100)
    user_id: int | None = None
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown once; only its hash is stored.")
