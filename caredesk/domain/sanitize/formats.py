"""Byte-level helpers for the archive formats an upload may be: what zipfile, tarfile and gzip
do not expose (the zip end record's entry count, gzip header fields) and naming rules.

Invariants: pure functions over bytes and strings; a malformed header raises ``ValueError`` (the
caller turns it into ``UploadRefused``) or yields ``None`` when the information is optional.
"""

from __future__ import annotations

import zipfile
from typing import Final

ZIP_METHODS: Final = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})


def zip_declared_entries(data: bytes) -> int | None:
    """The entry count an archive's (ZIP64) end-of-central-directory record declares, if found."""
    tail_start = max(0, len(data) - (22 + 0xFFFF))
    eocd = data.rfind(b"PK\x05\x06", tail_start)
    if eocd < 0 or eocd + 22 > len(data):
        return None
    count = int.from_bytes(data[eocd + 10 : eocd + 12], "little")
    if count != 0xFFFF:
        return count
    locator = data.rfind(b"PK\x06\x07", tail_start, eocd)
    if locator < 0:
        return None
    record = int.from_bytes(data[locator + 8 : locator + 16], "little")
    if data[record : record + 4] != b"PK\x06\x06":
        return None
    return int.from_bytes(data[record + 32 : record + 40], "little")


def unique_name(name: str, seen: set[str]) -> str:
    """Two names redacted to the same text get distinct suffixes (``a~2.log``)."""
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        stem, dot, ext = name.rpartition(".")
        candidate = f"{stem}~{n}.{ext}" if dot and stem else f"{name}~{n}"
    seen.add(candidate)
    return candidate


def gunzipped_name(name: str) -> str:
    """``a.log.gz`` -> ``a.log``; ``b.tgz`` -> ``b.tar``; anything else keeps its name."""
    lower = name.lower()
    if lower.endswith(".tgz"):
        return name[:-4] + ".tar"
    for suffix in (".gz", ".gzip"):
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def decode_meta(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def gzip_header(data: bytes) -> tuple[str | None, str | None, int]:
    """The original file name (FNAME), comment (FCOMMENT) and mtime of a gzip member's header."""
    if len(data) < 18 or data[2] != 8:
        raise ValueError("not a deflate gzip stream")
    flags = data[3]
    mtime = int.from_bytes(data[4:8], "little")
    pos = 10
    if flags & 0x04:
        pos += 2 + int.from_bytes(data[pos : pos + 2], "little")
    fields: list[str | None] = []
    for flag in (0x08, 0x10):
        if not flags & flag:
            fields.append(None)
            continue
        end = data.find(b"\x00", pos)
        if end < 0:
            raise ValueError("unterminated header field")
        fields.append(data[pos:end].decode("latin-1"))
        pos = end + 1
    return fields[0], fields[1], mtime
