"""Sanitize: find and redact End User customer data in uploaded attachments (DOMAIN.md, Intake).

"Attachments must be devoid of End User customer data": every uploaded log is scanned before it
is stored for phone numbers (ANI/CLI), e-mail addresses, payment card numbers (Luhn), SIP URIs
(and the caller display names beside them), IP addresses and configured patterns. A file with
findings is refused with them, or redacted when the DC asks; raw bytes with findings are never
handed back for storage.

The public API (this package re-exports it):

    scan_upload(filename, data, *, patterns=(), regions=("US",), limits=Limits()) -> ScanResult
    clean_bytes_or_raise(filename, data, ...) -> SafeUpload     # or CustomerDataFound
    redact_upload(filename, data, ...) -> SafeUpload            # bytes + UploadSummary
    Scanner(patterns=(), regions=("US",)).scan(text) -> tuple[Finding, ...]
    redact_text(text, scanner) -> RedactedText

Modules: ``findings`` (Finding, masking), ``context`` (what surrounds a value), ``phones``,
``cards``, ``addresses``, ``network``, ``custom`` (the detectors), ``detectors`` (Scanner),
``redact``, ``content`` (classification by content), ``results`` (value types), ``formats``
(archive header helpers), ``archives``
(uploads, archives, bomb limits). Pure: stdlib and ``phonenumbers`` only; no I/O, no clock.
Image metadata stripping needs Pillow, so it lives in ``caredesk.attachments_adapters.images``.
"""

from caredesk.domain.sanitize.archives import clean_bytes_or_raise, redact_upload, scan_upload
from caredesk.domain.sanitize.custom import Pattern
from caredesk.domain.sanitize.detectors import DEFAULT_REGIONS, Scanner
from caredesk.domain.sanitize.findings import BUILTIN_TYPES, Finding
from caredesk.domain.sanitize.redact import RedactedText, RedactionSummary, placeholder, redact_text
from caredesk.domain.sanitize.results import (
    Limits,
    MemberReport,
    RedactionEntry,
    SafeUpload,
    ScanResult,
    UploadSummary,
)

__all__ = [
    "BUILTIN_TYPES",
    "DEFAULT_REGIONS",
    "Finding",
    "Limits",
    "MemberReport",
    "Pattern",
    "RedactedText",
    "RedactionEntry",
    "RedactionSummary",
    "SafeUpload",
    "ScanResult",
    "Scanner",
    "UploadSummary",
    "clean_bytes_or_raise",
    "placeholder",
    "redact_text",
    "redact_upload",
    "scan_upload",
]
