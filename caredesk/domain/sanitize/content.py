"""What an uploaded byte string is, judged by its content and never by its file name.

``sniff(data)`` returns a ``Sniffed`` format: an archive (``gzip``, ``zip``, ``tar``), an image
(``png``, ``jpeg``, ``gif``, ``webp``, by magic bytes), ``text`` (with how it decodes), or a
refused binary (named when recognised: Windows/ELF/Mach-O executable, PDF, packet capture...).

Text rules:
- A byte-order mark decides (UTF-8, UTF-16 LE/BE); otherwise strict UTF-8, otherwise Latin-1
  (every byte decodes, so Latin-1 is only tried after the binary test below).
- Text holds no NUL and few control characters (at most 1 % other than tab, line breaks, form
  feed, backspace and ESC, which logs do contain). Anything else is binary and refused.
- ``encode_text`` restores the exact encoding and BOM, and decoding then encoding an unchanged
  text gives the original bytes back; line breaks (CRLF included) are never normalised.
- HTML, XHTML and SVG (and anything carrying ``<script``/``<iframe``) are scanned as text but flagged
  ``inline_dangerous``: the service must never serve them inline.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Final, Literal

Format = Literal["gzip", "zip", "tar", "png", "jpeg", "gif", "webp", "text", "binary"]
ARCHIVE_FORMATS: Final = frozenset({"gzip", "zip", "tar"})
IMAGE_FORMATS: Final = frozenset({"png", "jpeg", "gif", "webp"})


@dataclass(frozen=True, slots=True)
class Sniffed:
    format: Format
    description: str  # for messages: "a Windows executable", "UTF-8 text"...
    encoding: str = ""  # for text: Python codec name (without BOM handling)
    bom: bytes = b""


# Binary formats refused outright, with a name for the error message. Checked before text so a
# mostly-ASCII PDF is never scanned as if its compressed streams were readable.
_REFUSED_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "a PDF document (export the text or a screenshot instead)"),
    (b"\x7fELF", "an ELF executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Java class or Mach-O universal binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE2 (old Microsoft Office) document"),
    (b"\xd4\xc3\xb2\xa1", "a packet capture (pcap): it cannot be scanned for customer data"),
    (b"\xa1\xb2\xc3\xd4", "a packet capture (pcap): it cannot be scanned for customer data"),
    (b"\x0a\x0d\x0d\x0a", "a packet capture (pcapng): it cannot be scanned for customer data"),
    (b"BZh", "a bzip2 archive (use .zip or .gz)"),
    (b"\xfd7zXZ\x00", "an xz archive (use .zip or .gz)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (use .zip or .gz)"),
    (b"Rar!\x1a\x07", "a RAR archive (use .zip or .gz)"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_WEAK_BINARY_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"MZ", "a Windows executable"),
    (b"II*\x00", "a TIFF image (upload PNG, JPEG, GIF or WebP)"),
    (b"MM\x00*", "a TIFF image (upload PNG, JPEG, GIF or WebP)"),
    (b"BM", "a BMP image (upload PNG, JPEG, GIF or WebP)"),
)

_ALLOWED_CONTROLS: Final = frozenset("\t\n\r\f\v\b\x1b")
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MAX_CONTROL_SHARE: Final = 0.01

_DANGEROUS_MARKERS_RE: Final = re.compile(
    r"<!doctype\s+(?:html|svg)|<html[\s>]|<svg[\s>]|<script[\s>]|<iframe[\s>]|<body[\s>]|"
    r"<object[\s>]|<embed[\s>]|<\?xml-stylesheet|<xsl:stylesheet|<foreignobject[\s>]",
    re.IGNORECASE,
)


def _looks_like_text(text: str) -> bool:
    if "\x00" in text:
        return False
    if not text:
        return True
    controls = sum(1 for m in _CONTROL_RE.finditer(text) if m.group() not in _ALLOWED_CONTROLS)
    return controls <= _MAX_CONTROL_SHARE * len(text)


def _decode(data: bytes) -> Sniffed | None:
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8", codecs.BOM_UTF8)]
    elif data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return None
    elif data.startswith(codecs.BOM_UTF16_LE):
        candidates = [("utf-16-le", codecs.BOM_UTF16_LE)]
    elif data.startswith(codecs.BOM_UTF16_BE):
        candidates = [("utf-16-be", codecs.BOM_UTF16_BE)]
    else:
        candidates = [("utf-8", b""), ("latin-1", b"")]
    for encoding, bom in candidates:
        try:
            text = data[len(bom) :].decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_like_text(text):
            return None
        label = {"utf-8": "UTF-8", "latin-1": "Latin-1"}.get(encoding, "UTF-16")
        return Sniffed("text", f"{label} text", encoding, bom)
    return None


def sniff(data: bytes) -> Sniffed:
    """Classify bytes by content (magic numbers, then decodability)."""
    if data.startswith(b"\x1f\x8b"):
        return Sniffed("gzip", "a gzip file")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed("zip", "a zip archive")
    if len(data) >= 263 and data[257:262] == b"ustar":
        return Sniffed("tar", "a tar archive")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png", "a PNG image")
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg", "a JPEG image")
    if data.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("gif", "a GIF image")
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return Sniffed("webp", "a WebP image")
    for magic, description in _REFUSED_MAGIC:
        if data.startswith(magic):
            return Sniffed("binary", description)
    decoded = _decode(data)
    if decoded is not None:
        return decoded
    for magic, description in _WEAK_BINARY_MAGIC:
        if data.startswith(magic):
            return Sniffed("binary", description)
    return Sniffed("binary", "a binary file that is neither text, an image nor an archive")


def decode_text(data: bytes, sniffed: Sniffed) -> str:
    """The text of bytes ``sniff`` called text."""
    return data[len(sniffed.bom) :].decode(sniffed.encoding)


def encode_text(text: str, sniffed: Sniffed) -> bytes:
    """Bytes in the original encoding and BOM. Placeholders are ASCII, so this cannot fail for
    a text that came from ``decode_text`` and was only redacted."""
    return sniffed.bom + text.encode(sniffed.encoding)


def is_inline_dangerous(text: str) -> bool:
    """HTML, SVG or script-bearing markup: never to be served inline."""
    return _DANGEROUS_MARKERS_RE.search(text) is not None
