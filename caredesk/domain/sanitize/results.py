"""The values an upload scan takes and gives: limits, scan results, safe uploads, summaries.

Invariants:
- ``ScanResult`` holds no bytes: what was scanned cannot be stored from it by mistake.
- ``SafeUpload`` holds bytes with no finding left in them, and can only be constructed by
  ``archives.clean_bytes_or_raise`` and ``archives.redact_upload``.
- Summaries and findings hold types, counts, positions and masked previews, never values; every
  member name in them is already redacted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final, Literal

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sanitize.findings import Finding, Location
from caredesk.domain.sanitize.redact import RedactionSummary, summary_lines

MiB: Final = 1024 * 1024

UploadKind = Literal["text", "image", "archive"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds against archive bombs and runaway scans; every field must be positive."""

    max_upload_bytes: int = 32 * MiB
    max_total_uncompressed: int = 128 * MiB
    max_members: int = 2_000
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MiB  # the ratio is only judged above this many output bytes
    max_depth: int = 3  # archive layers: zip > tar > gz is 3
    max_findings: int = 10_000  # reported in a ScanResult; redaction and counts see them all

    def __post_init__(self) -> None:
        bad = {
            f"limits.{name}": "must be positive" for name in self.__dataclass_fields__ if not getattr(self, name) > 0
        }
        if bad:
            raise ValidationFailed("invalid upload limits", errors=bad)


@dataclass(frozen=True, slots=True)
class MemberReport:
    """One scanned member (``path`` None: the upload itself)."""

    path: str | None
    format: str
    inline_dangerous: bool
    findings: int


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What an upload holds. No bytes: scanning never hands back something to store."""

    filename: str  # the redacted name when the name itself holds customer data
    kind: UploadKind
    findings: tuple[Finding, ...]
    counts: tuple[tuple[str, int], ...]
    members: tuple[MemberReport, ...]
    inline_dangerous: bool
    needs_confirmation: bool
    truncated: bool  # more findings than Limits.max_findings: counts are complete, the list not

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def ok(self) -> bool:
        """True when no customer data was found (images still need the DC's confirmation)."""
        return self.total == 0

    def as_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "kind": self.kind,
            "ok": self.ok,
            "counts": dict(self.counts),
            "findings": [f.as_dict() for f in self.findings],
            "truncated": self.truncated,
            "inline_dangerous": self.inline_dangerous,
            "needs_confirmation": self.needs_confirmation,
        }


@dataclass(frozen=True, slots=True)
class RedactionEntry:
    member: str | None
    location: Location
    summary: RedactionSummary


@dataclass(frozen=True, slots=True)
class UploadSummary:
    """What redaction replaced, per member and location, for the case timeline."""

    entries: tuple[RedactionEntry, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for entry in self.entries:
            total.update(entry.summary.counts_by_type())
        return dict(sorted(total.items()))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> list[str]:
        """``["tserver.log: 3 phone, 1 email (lines 4, 17)", ...]`` (names already redacted)."""
        labelled: dict[str | None, RedactionSummary] = {}
        for entry in self.entries:
            if entry.location == "content":
                key = entry.member
            elif entry.member is None:
                key = f"upload {entry.location}"
            else:
                key = f"{entry.member} ({entry.location})"
            labelled[key] = labelled[key].merged(entry.summary) if key in labelled else entry.summary
        return summary_lines(labelled)

    def as_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "total": self.total,
            "entries": [{"member": e.member, "location": e.location, **e.summary.as_dict()} for e in self.entries],
        }


SEAL: Final = object()  # package-internal: only archives.py passes it


@dataclass(frozen=True, slots=True)
class SafeUpload:
    """Bytes that may be stored: no finding left in them.

    Only ``clean_bytes_or_raise`` and ``redact_upload`` make one; constructing it elsewhere raises
    ``TypeError``.
    """

    filename: str
    data: bytes = field(repr=False)
    kind: UploadKind
    inline_dangerous: bool
    needs_confirmation: bool
    summary: UploadSummary
    _seal: object = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not SEAL:
            raise TypeError("SafeUpload is made only by clean_bytes_or_raise or redact_upload")

    @property
    def redacted(self) -> bool:
        return self.summary.total > 0
