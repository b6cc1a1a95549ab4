"""Attachments API: upload (scanned for customer data before storage), list, download."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from caredesk.api.base import ErrorOut, actor
from caredesk.cases import attachments, selectors
from caredesk.domain.errors import UploadRefused, ValidationFailed

router = Router(tags=["attachments"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
UPLOAD_FIELDS = {"redact", "confirm_no_customer_data"}


def _refuse_unknown_fields(request: HttpRequest) -> None:
    """A form field or file the upload does not take is refused, as JSON bodies refuse unknown
    fields: a client that believes it set ``reseller_id`` must learn that nothing did."""
    unknown = sorted((set(request.POST) - UPLOAD_FIELDS) | (set(request.FILES) - {"file"}))
    if unknown:
        raise ValidationFailed("unknown fields", errors=dict.fromkeys(unknown, "unknown field"))


class AttachmentOut(Schema):
    id: int
    case_id: int
    filename: str
    size: int
    sha256: str
    kind: str
    redacted: bool
    redaction: dict[str, object]
    confirmed_no_customer_data: bool
    uploaded_by_id: int
    created_at: datetime


@router.post("/cases/{case_id}/attachments", response={201: AttachmentOut, **ERRORS})
def attachment_upload(
    request: HttpRequest,
    case_id: int,
    file: File[UploadedFile],
    redact: Form[bool] = False,
    confirm_no_customer_data: Form[bool] = False,
) -> object:
    """Upload a log, configuration file, archive (.zip, .gz, .tar) or screenshot. Files holding End
    User customer data are refused with the findings unless `redact=true`, in which case only the
    redacted file is stored. Images need `confirm_no_customer_data=true` and lose their metadata."""
    _refuse_unknown_fields(request)
    limit = settings.CAREDESK_UPLOAD_MAX_BYTES
    if file.size is not None and file.size > limit:
        # Refused before reading: an oversized upload (spooled to disk by Django) never fills memory.
        raise UploadRefused(f"the upload is larger than {limit} bytes", reason="too_large")
    data = file.read()
    return Status(
        201,
        attachments.attachment_upload(
            actor=actor(request),
            case_id=case_id,
            filename=file.name or "attachment",
            data=data,
            options=attachments.UploadOptions(redact=redact, confirm_no_customer_data=confirm_no_customer_data),
        ),
    )


@router.get("/cases/{case_id}/attachments", response={200: list[AttachmentOut], **ERRORS})
def attachment_list(request: HttpRequest, case_id: int) -> object:
    case = selectors.case_get_for_actor(actor=actor(request), case_id=case_id)
    return list(attachments.attachment_list_for_actor(actor=actor(request), case=case))


@router.get("/attachments/{attachment_id}/download", response={200: None, **ERRORS})
def attachment_download(request: HttpRequest, attachment_id: int) -> object:
    """Always a download (never rendered inline), whatever the file holds."""
    attachment, stream = attachments.attachment_open_for_actor(actor=actor(request), attachment_id=attachment_id)
    response = FileResponse(stream, as_attachment=True, content_type="application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
