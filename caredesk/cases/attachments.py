"""Attachments: the one write path for files on a case, and the guarded read for downloads.

Every upload goes through the pure customer-data scanner (caredesk.domain.sanitize) before any
byte reaches storage: with findings it is refused (type, member, line of each, masked), unless the
uploader asks for redaction, and then only the redacted bytes are stored and the timeline says
what was redacted. Images lose their metadata and need the uploader's confirmation that they show
no customer data. Files are stored through Django's storage API under a random name and served only
as downloads to users who may see the case.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils.timezone import now as clock_now

from caredesk.attachments_adapters.images import strip_image_metadata
from caredesk.cases.models import Attachment, Case, CaseStatus
from caredesk.cases.timeline import case_event_append
from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.domain.sanitize import Limits, Pattern, SafeUpload, clean_bytes_or_raise, redact_upload
from caredesk.domain.tenancy import roles
from caredesk.domain.tenancy.roles import Role
from caredesk.tenancy.models import User


@dataclass(frozen=True)
class UploadOptions:
    redact: bool = False
    confirm_no_customer_data: bool = False


def sanitizer_patterns() -> tuple[Pattern, ...]:
    """Extra patterns from settings: CAREDESK_SANITIZER_PATTERNS = [("account_no", r"ACCT-\\d{8}"), ...]."""
    return tuple(Pattern(name, regex) for name, regex in getattr(settings, "CAREDESK_SANITIZER_PATTERNS", ()))


def upload_limits() -> Limits:
    return Limits(max_upload_bytes=settings.CAREDESK_UPLOAD_MAX_BYTES)


def _safe(filename: str, data: bytes, options: UploadOptions) -> SafeUpload:
    if options.redact:
        return redact_upload(filename, data, patterns=sanitizer_patterns(), limits=upload_limits())
    return clean_bytes_or_raise(filename, data, patterns=sanitizer_patterns(), limits=upload_limits())


_UNSAFE_NAME = re.compile(r"[^\w.\- ()\[\]+@,]")


def _display_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    return _UNSAFE_NAME.sub("_", base)[:200]


@transaction.atomic
def attachment_upload(
    *,
    actor: User,
    case_id: int,
    filename: str,
    data: bytes,
    options: UploadOptions = UploadOptions(),
    channel: str = "api",
    now: datetime | None = None,
) -> Attachment:
    from caredesk.cases.actions import _locked

    at = now or clock_now()
    if actor.role_enum is not Role.DESIGNATED_CONTACT and not roles.is_care(actor.role_enum):
        raise PermissionDenied("Only a Designated Contact or Customer Care adds files to a case.")
    case: Case = _locked(actor, case_id, None)
    if case.status == CaseStatus.CLOSED:
        raise InvalidTransition("The case is closed; open a new case instead.")
    if not data:
        raise ValidationFailed("the file is empty", errors={"file": "must not be empty"})
    safe = _safe(filename, data, options)
    stored = safe.data
    if safe.kind == "image":
        if not options.confirm_no_customer_data:
            raise ValidationFailed(
                "confirm that the image shows no End User customer data",
                errors={"confirm_no_customer_data": "required for screenshots and other images"},
            )
        stored = strip_image_metadata(stored)
    name = _display_name(safe.filename)
    storage_name = default_storage.save(
        f"attachments/{case.reseller_id}/{case.pk}/{uuid.uuid4().hex}", ContentFile(stored)
    )
    # The bytes are stored first (they are already clean); if recording them fails, they go again.
    # (An outer transaction rolled back later can leave a clean, unreferenced file: harmless.)
    try:
        attachment = Attachment.objects.create(
            case=case,
            reseller_id=case.reseller_id,
            filename=name,
            storage_name=storage_name,
            size=len(stored),
            sha256=hashlib.sha256(stored).hexdigest(),
            kind=safe.kind,
            redacted=safe.redacted,
            redaction=safe.summary.as_dict() if safe.redacted else {},
            confirmed_no_customer_data=options.confirm_no_customer_data,
            uploaded_by=actor,
            created_at=at,
        )
        case_event_append(
            case=case,
            actor=actor,
            kind="attachment_added",
            at=at,
            channel=channel,
            data={
                "attachment": attachment.pk,
                "filename": name,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "kind": safe.kind,
                "redacted": safe.summary.describe() if safe.redacted else [],
                "metadata_stripped": safe.kind == "image",
            },
        )
        case.version += 1
        case.updated_at = at
        case.save(update_fields=["version", "updated_at"])
    except BaseException:
        default_storage.delete(storage_name)
        raise
    return attachment


def attachment_list_for_actor(*, actor: User, case: Case) -> QuerySet[Attachment]:
    return Attachment.objects.filter(case=case).order_by("id")


def attachment_open_for_actor(*, actor: User, attachment_id: int) -> tuple[Attachment, IO[bytes]]:
    from caredesk.cases.selectors import case_visible_for_actor

    attachment = Attachment.objects.filter(pk=attachment_id, case__in=case_visible_for_actor(actor=actor)).first()
    if attachment is None:
        raise NotFound("attachment not found")
    return attachment, default_storage.open(attachment.storage_name, "rb")
