"""Files on a case: the upload form's answer (stored, refused with the scanner's findings and the
redaction option, or refused outright) and downloads.

The scanner and the storage rules are ``caredesk.cases.attachments``'s. A file is never rendered
inline: the download answers ``Content-Disposition: attachment`` as ``application/octet-stream``
with ``nosniff`` and a sandboxing CSP, and the page only ever links to it.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from caredesk.cases import attachments, selectors
from caredesk.domain.errors import CustomerDataFound, DomainError, UploadRefused, ValidationFailed
from caredesk.portal.views.base import actor, page, render_page, status_of
from caredesk.portal.views.cases import case_context


@page(methods=("POST",))
def attachment_upload(request: HttpRequest, case_id: int) -> HttpResponse:
    user = actor(request)
    upload = request.FILES.get("file")
    options = attachments.UploadOptions(
        redact=request.POST.get("redact") == "on",
        confirm_no_customer_data=request.POST.get("confirm_no_customer_data") == "on",
    )
    try:
        if upload is None:
            raise ValidationFailed("choose a file", errors={"file": "choose a file to upload"})
        limit = settings.CAREDESK_UPLOAD_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise UploadRefused(f"the file is larger than {limit} bytes", reason="too_large")
        attachment = attachments.attachment_upload(
            actor=user,
            case_id=case_id,
            filename=upload.name or "attachment",
            data=upload.read(),
            options=options,
            channel="portal",
        )
    except DomainError as exc:
        case = selectors.case_get_for_actor(actor=user, case_id=case_id)
        context = case_context(
            request,
            case,
            action_error={"action": "attach", "error": exc},
            errors=exc.errors if isinstance(exc, ValidationFailed) else {},
            findings=list(exc.findings) if isinstance(exc, CustomerDataFound) else [],
            refused_name=upload.name if upload is not None else "",
        )
        return render_page(request, "portal/cases/detail.html", context, status=status_of(exc))
    note = " (customer data was redacted before storing it)" if attachment.redacted else ""
    messages.success(request, f"{attachment.filename} attached{note}.")
    return redirect("portal:case_detail", case_id=case_id)


@page(methods=("GET",))
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    attachment, stream = attachments.attachment_open_for_actor(actor=actor(request), attachment_id=attachment_id)
    response = FileResponse(stream, as_attachment=True, content_type="application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
