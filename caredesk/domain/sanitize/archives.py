"""Uploads: scan (and redact) a file's bytes: plain text, images, .gz, .zip and tar, nested.

The three doors:
- ``scan_upload(filename, data, ...) -> ScanResult``: what is in it. A ``ScanResult`` holds no
  bytes, so a caller cannot store what it scanned by mistake.
- ``clean_bytes_or_raise(filename, data, ...) -> SafeUpload``: the bytes, only when they hold no
  finding; otherwise ``CustomerDataFound`` with the (masked) findings.
- ``redact_upload(filename, data, ...) -> SafeUpload``: the redacted bytes and a summary for the
  case timeline. Archives are rebuilt with their redacted members (and redacted member names).
``SafeUpload`` can only be made by these functions; a storage service that accepts only a
``SafeUpload`` cannot be handed raw bytes with findings.

Invariants and limits (all ``Limits`` fields, defaults in the class):
- Classification is by content (``content.sniff``), never by extension. Text of any kind (logs,
  config, XML, JSON...) is scanned; HTML/SVG are scanned and flagged ``inline_dangerous``;
  PNG/JPEG/GIF/WebP at the top level are ``kind="image"``: the service strips their metadata
  (``caredesk.attachments_adapters.images``) and asks the DC to confirm they show no customer data.
  Images inside archives, and every other binary, are refused: they cannot be scanned.
- Bombs: the upload's size, the total of every decompressed byte (nested layers count again),
  the number of archive members, the compression ratio of each member above a floor size, and the
  nesting depth are bounded; reading stops as soon as a bound is passed (nothing is inflated
  first and measured after). Encrypted, duplicate, symlink, hard-link, device, absolute
  (``/etc/x``, ``C:\\x``) and ``..`` members are refused.
- File and member names, and archive comments, are scanned too: ``calls/4155550123.log`` is a
  finding, and every name shown in a result or error is the redacted one.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import stat
import tarfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable
from typing import IO, Final

from caredesk.domain.errors import CustomerDataFound, UploadRefused
from caredesk.domain.sanitize import content, formats
from caredesk.domain.sanitize.custom import Pattern
from caredesk.domain.sanitize.detectors import DEFAULT_REGIONS, Scanner
from caredesk.domain.sanitize.findings import Finding, Location
from caredesk.domain.sanitize.redact import RedactionSummary, redact_text
from caredesk.domain.sanitize.results import (
    SEAL,
    Limits,
    MemberReport,
    RedactionEntry,
    SafeUpload,
    ScanResult,
    UploadKind,
    UploadSummary,
)

_CHUNK: Final = 64 * 1024
DEFAULT_LIMITS: Final = Limits()
NESTED: Final = "!/"


def _refuse(message: str, reason: str, member: str | None = None) -> UploadRefused:
    where = f" ({member})" if member else ""
    return UploadRefused(f"{message}{where}", reason=reason, member=member)


class _Walk:
    """One pass over an upload: scans every text, optionally rebuilding with redactions."""

    def __init__(self, scanner: Scanner, limits: Limits, *, redact: bool) -> None:
        self.scanner = scanner
        self.limits = limits
        self.redact = redact
        self.inflated = 0
        self.members = 0
        self.findings: list[Finding] = []
        self.counts: Counter[str] = Counter()
        self.reports: list[MemberReport] = []
        self.entries: list[RedactionEntry] = []
        self.kind: UploadKind = "text"
        self.inline_dangerous = False

    # -- bookkeeping ---------------------------------------------------------------------------
    def _record(self, found: Iterable[Finding], member: str | None, location: Location) -> int:
        found = list(found)
        room = self.limits.max_findings - len(self.findings)
        self.findings.extend(found[: max(0, room)])
        self.counts.update(f.type for f in found)
        if found:
            self.entries.append(RedactionEntry(member, location, RedactionSummary.of(found)))
        return len(found)

    def _inflate(self, n: int, member: str | None) -> None:
        self.inflated += n
        if self.inflated > self.limits.max_total_uncompressed:
            raise _refuse(
                f"the upload inflates to more than {self.limits.max_total_uncompressed} bytes",
                "too_large_uncompressed",
                member,
            )

    def _ratio(self, produced: int, compressed: int, member: str | None) -> None:
        if produced > self.limits.ratio_floor_bytes and produced > self.limits.max_ratio * max(1, compressed):
            raise _refuse(
                f"compression ratio above {self.limits.max_ratio:g}:1 (a possible archive bomb)",
                "compression_ratio",
                member,
            )

    def _count_members(self, n: int, member: str | None) -> None:
        self.members += n
        if self.members > self.limits.max_members:
            raise _refuse(f"more than {self.limits.max_members} archive members", "too_many_members", member)

    def text_of(self, value: str, member: str | None, location: Location) -> str:
        """Scan a short text (a name or comment); its redacted form is always returned."""
        result = redact_text(value, self.scanner, member=member)
        found = [Finding(f.type, f.line, f.start, f.end, f.preview, member, location) for f in result.findings]
        self._record(found, member, location)
        return result.text

    def name_of(self, raw: str, parent: str | None, seen: set[str]) -> tuple[str, str]:
        """A member's safe (redacted, unique) name and its member path; findings in the name are
        reported against that path."""
        result = redact_text(raw, self.scanner)
        safe = formats.unique_name(result.text, seen)
        member = self._member_path(parent, safe)
        found = [Finding(f.type, f.line, f.start, f.end, f.preview, member, "name") for f in result.findings]
        self._record(found, member, "name")
        return safe, member

    # -- the walk ------------------------------------------------------------------------------
    def process(self, data: bytes, path: str | None, name: str, depth: int) -> bytes:
        """Scan ``data`` (member ``path``; ``name`` its safe base name); return redacted bytes
        (the same object when nothing changed)."""
        sniffed = content.sniff(data)
        if sniffed.format in content.ARCHIVE_FORMATS:
            if depth >= self.limits.max_depth:
                raise _refuse(f"archives nested more than {self.limits.max_depth} deep", "too_deep", path)
            if path is None:
                self.kind = "archive"
            self.reports.append(MemberReport(path, sniffed.format, False, 0))
            if sniffed.format == "gzip":
                return self._gzip(data, path, name, depth + 1)
            if sniffed.format == "zip":
                return self._zip(data, path, depth + 1)
            return self._tar(data, path, depth + 1)
        if sniffed.format in content.IMAGE_FORMATS:
            if path is not None:
                raise _refuse(
                    "images inside archives cannot be checked; upload screenshots on their own",
                    "image_in_archive",
                    path,
                )
            self.kind = "image"
            self.reports.append(MemberReport(None, sniffed.format, False, 0))
            return data
        if sniffed.format != "text":
            raise _refuse(f"{sniffed.description} cannot be scanned for customer data", "binary", path)
        text = content.decode_text(data, sniffed)
        dangerous = content.is_inline_dangerous(text)
        self.inline_dangerous |= dangerous
        if self.redact:
            result = redact_text(text, self.scanner, member=path)
            n = self._record(result.findings, path, "content")
            out = content.encode_text(result.text, sniffed) if result.changed else data
        else:
            n = self._record(self.scanner.scan(text, member=path), path, "content")
            out = data
        self.reports.append(MemberReport(path, sniffed.description, dangerous, n))
        return out

    def _member_path(self, parent: str | None, name: str) -> str:
        return f"{parent}{NESTED}{name}" if parent else name

    def _check_name(self, raw: str, shown: str) -> None:
        parts = raw.replace("\\", "/").split("/")
        if raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":" and raw[0].isalpha()):
            raise _refuse("absolute member path", "absolute_path", shown)
        if ".." in parts:
            raise _refuse("member path climbs out of the archive (..)", "path_traversal", shown)

    def _gzip(self, data: bytes, path: str | None, name: str, depth: int) -> bytes:
        shown = path or name
        try:
            fname, comment, mtime = formats.gzip_header(data)
        except ValueError as exc:
            raise _refuse(f"damaged gzip file: {exc}", "corrupt", shown) from None
        if fname is not None:
            self._check_name(fname, shown)
            raw_inner = fname  # scanned whole: a directory part is part of the name
        else:
            raw_inner = formats.gunzipped_name(name)
        safe_inner, member = self.name_of(raw_inner, path, set())
        # A header comment is scanned too; a redacted archive is rewritten without it.
        comment_clean = comment is None or self.text_of(comment, member, "comment") == comment
        self._count_members(1, shown)
        plain = self._gunzip(data, member)
        out = self.process(plain, member, posixpath.basename(safe_inner.replace("\\", "/")), depth)
        if out is plain and safe_inner == raw_inner and comment_clean:
            return data
        buf = io.BytesIO()
        header_name = posixpath.basename(safe_inner.replace("\\", "/")) if fname is not None else ""
        with gzip.GzipFile(filename=header_name, mode="wb", fileobj=buf, mtime=mtime) as gz:
            gz.write(out)
        return buf.getvalue()

    def _gunzip(self, data: bytes, member: str) -> bytes:
        out = bytearray()
        pending = data
        try:
            while pending:
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                chunk_in = pending
                while True:
                    chunk = inflater.decompress(chunk_in, _CHUNK)
                    out += chunk
                    self._inflate(len(chunk), member)
                    self._ratio(len(out), len(data), member)
                    chunk_in = inflater.unconsumed_tail
                    if inflater.eof or (not chunk and not chunk_in):
                        break
                if not inflater.eof:
                    raise _refuse("truncated gzip file", "corrupt", member)
                pending = inflater.unused_data.lstrip(b"\x00")
        except zlib.error as exc:
            raise _refuse(f"damaged gzip file: {exc}", "corrupt", member) from None
        return bytes(out)

    def _read_limited(self, stream: IO[bytes], compressed: int, member: str) -> bytes:
        out = bytearray()
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                return bytes(out)
            out += chunk
            self._inflate(len(chunk), member)
            self._ratio(len(out), compressed, member)

    def _zip(self, data: bytes, path: str | None, depth: int) -> bytes:
        # Count entries from the end-of-central-directory record before zipfile builds one object
        # per entry: a small upload can declare hundreds of thousands of them.
        declared = formats.zip_declared_entries(data)
        if declared is not None and self.members + declared > self.limits.max_members:
            self._count_members(declared, path)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise _refuse(f"damaged zip archive: {exc}", "corrupt", path) from None
        with archive:
            infos = archive.infolist()
            self._count_members(len(infos), path)
            comment = formats.decode_meta(archive.comment)
            safe_comment = self.text_of(comment, path, "comment") if comment else ""
            rebuilt: list[tuple[zipfile.ZipInfo, str, bytes, str]] = []
            changed = safe_comment != comment
            seen: set[str] = set()
            names = Counter(info.filename for info in infos)
            duplicates = {name for name, n in names.items() if n > 1}
            for info in infos:
                raw_name = info.filename
                safe_name, member = self.name_of(raw_name, path, seen)
                self._check_name(raw_name, member)
                if raw_name in duplicates:
                    raise _refuse("the archive holds two members with the same name", "duplicate_member", member)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise _refuse("symbolic links are not accepted in archives", "symlink", member)
                if info.flag_bits & 0x1:
                    raise _refuse("encrypted members cannot be scanned", "encrypted", member)
                member_comment = formats.decode_meta(info.comment)
                safe_member_comment = self.text_of(member_comment, member, "comment") if member_comment else ""
                changed |= safe_name != raw_name or safe_member_comment != member_comment
                if info.is_dir():
                    rebuilt.append((info, safe_name, b"", safe_member_comment))
                    continue
                try:
                    with archive.open(info) as stream:
                        body = self._read_limited(stream, info.compress_size, member)
                except UploadRefused:
                    raise
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, zlib.error) as exc:
                    raise _refuse(f"unreadable zip member: {exc}", "corrupt", member) from None
                out = self.process(body, member, posixpath.basename(safe_name), depth)
                changed |= out is not body
                rebuilt.append((info, safe_name, out, safe_member_comment))
        if not (self.redact and changed):
            return data
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as target:
            target.comment = safe_comment.encode("utf-8")
            for info, safe_name, body, safe_member_comment in rebuilt:
                copy = zipfile.ZipInfo(safe_name, date_time=info.date_time)
                copy.external_attr = info.external_attr
                copy.create_system = info.create_system
                copy.compress_type = (
                    info.compress_type if info.compress_type in formats.ZIP_METHODS else zipfile.ZIP_DEFLATED
                )
                copy.comment = safe_member_comment.encode("utf-8")
                target.writestr(copy, body)
        return buf.getvalue()

    def _tar(self, data: bytes, path: str | None, depth: int) -> bytes:
        rebuilt: list[tuple[tarfile.TarInfo, str, bytes]] = []
        changed = False
        seen: set[str] = set()
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
                for info in archive:
                    self._count_members(1, path)
                    safe_name, member = self.name_of(info.name, path, seen)
                    self._check_name(info.name, member)
                    changed |= safe_name != info.name
                    for key, value in info.pax_headers.items():
                        if key not in {"path", "linkpath"}:  # extended headers are rewritten without them
                            changed |= self.text_of(f"{key}={value}", member, "comment") != f"{key}={value}"
                    if info.issym() or info.islnk():
                        raise _refuse("links are not accepted in archives", "symlink", member)
                    if info.isdir():
                        rebuilt.append((info, safe_name, b""))
                        continue
                    if not info.isreg():
                        raise _refuse("device, fifo or special member", "special_member", member)
                    if self.inflated + info.size > self.limits.max_total_uncompressed:
                        self._inflate(info.size, member)
                    stream = archive.extractfile(info)
                    body = b"" if stream is None else self._read_limited(stream, max(1, info.size), member)
                    out = self.process(body, member, posixpath.basename(safe_name), depth)
                    changed |= out is not body
                    rebuilt.append((info, safe_name, out))
        except UploadRefused:
            raise
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise _refuse(f"damaged tar archive: {exc}", "corrupt", path) from None
        if not (self.redact and changed):
            return data
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:", format=tarfile.PAX_FORMAT) as target:
            for info, safe_name, body in rebuilt:
                copy = tarfile.TarInfo(safe_name)
                copy.type = info.type
                copy.mode = info.mode
                copy.mtime = info.mtime
                copy.size = len(body)
                target.addfile(copy, io.BytesIO(body) if info.isreg() else None)
        return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# The doors


def _walk(
    filename: str,
    data: bytes,
    *,
    patterns: Iterable[Pattern],
    regions: Iterable[str],
    limits: Limits,
    redact: bool,
) -> tuple[_Walk, str, bytes]:
    scanner = Scanner(patterns=patterns, regions=regions)
    walk = _Walk(scanner, limits, redact=redact)
    safe_name = walk.text_of(filename, None, "name")
    if len(data) > limits.max_upload_bytes:
        raise _refuse(f"the upload is larger than {limits.max_upload_bytes} bytes", "too_large")
    out = walk.process(data, None, posixpath.basename(safe_name.replace("\\", "/")), 0)
    return walk, safe_name, out


def _result(walk: _Walk, safe_name: str) -> ScanResult:
    return ScanResult(
        filename=safe_name,
        kind=walk.kind,
        findings=tuple(walk.findings),
        counts=tuple(sorted(walk.counts.items())),
        members=tuple(walk.reports),
        inline_dangerous=walk.inline_dangerous,
        needs_confirmation=walk.kind == "image",
        truncated=sum(walk.counts.values()) > len(walk.findings),
    )


def scan_upload(
    filename: str,
    data: bytes,
    *,
    patterns: Iterable[Pattern] = (),
    regions: Iterable[str] = DEFAULT_REGIONS,
    limits: Limits = DEFAULT_LIMITS,
) -> ScanResult:
    """Scan an upload. Raises ``UploadRefused`` for what cannot be scanned safely and
    ``ValidationFailed`` for a bad pattern or region."""
    walk, safe_name, _ = _walk(filename, data, patterns=patterns, regions=regions, limits=limits, redact=False)
    return _result(walk, safe_name)


def clean_bytes_or_raise(
    filename: str,
    data: bytes,
    *,
    patterns: Iterable[Pattern] = (),
    regions: Iterable[str] = DEFAULT_REGIONS,
    limits: Limits = DEFAULT_LIMITS,
) -> SafeUpload:
    """The upload as is when it holds no customer data; else ``CustomerDataFound`` listing the
    findings (type, member, line, column, masked preview)."""
    walk, safe_name, _ = _walk(filename, data, patterns=patterns, regions=regions, limits=limits, redact=False)
    result = _result(walk, safe_name)
    if not result.ok:
        counts = ", ".join(f"{n} {kind}" for kind, n in result.counts)
        raise CustomerDataFound(
            f"{safe_name} holds End User customer data ({counts}); remove it, or ask for the upload to be redacted",
            findings=[f.as_dict() for f in result.findings],
        )
    return SafeUpload(
        filename=filename,
        data=data,
        kind=result.kind,
        inline_dangerous=result.inline_dangerous,
        needs_confirmation=result.needs_confirmation,
        summary=UploadSummary(),
        _seal=SEAL,
    )


def redact_upload(
    filename: str,
    data: bytes,
    *,
    patterns: Iterable[Pattern] = (),
    regions: Iterable[str] = DEFAULT_REGIONS,
    limits: Limits = DEFAULT_LIMITS,
) -> SafeUpload:
    """The upload with every finding replaced by ``[REDACTED:<type>]`` (in names too), and what
    was replaced. Unchanged when there was nothing to redact."""
    walk, safe_name, out = _walk(filename, data, patterns=patterns, regions=regions, limits=limits, redact=True)
    return SafeUpload(
        filename=safe_name,
        data=out,
        kind=walk.kind,
        inline_dangerous=walk.inline_dangerous,
        needs_confirmation=walk.kind == "image",
        summary=UploadSummary(tuple(walk.entries)),
        _seal=SEAL,
    )
