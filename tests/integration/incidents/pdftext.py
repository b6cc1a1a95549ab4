"""The text of a PDF that fpdf2 wrote with a built-in font: inflate each content stream and read
its ``(...) Tj`` strings. Enough to check that a report says what it should, without a PDF library."""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_SHOW = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", re.S)
_ESCAPE = re.compile(rb"\\(.)", re.S)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-"), data[:20]
    assert data.rstrip().endswith(b"%%EOF")
    lines: list[str] = []
    for match in _STREAM.finditer(data):
        raw = match.group(1)
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            continue  # not a compressed content stream (fonts, images)
        for shown in _SHOW.findall(raw):
            lines.append(_ESCAPE.sub(rb"\1", shown).decode("latin-1"))
    return "\n".join(lines)
