"""The customer-data scanner: every detector over one text, overlaps resolved, findings out.

``Scanner`` is built once from configuration (extra patterns, phone regions) and is immutable;
``Scanner.scan(text)`` returns the findings, ``Scanner.hits(text)`` the raw spans the redactor
replaces. The detectors themselves live beside this module: ``phones``, ``cards``, ``addresses``
(e-mail, SIP URI, display name), ``network`` (IPv4/IPv6) and ``custom`` (configured patterns);
``context`` holds the rules about surroundings that keep log noise out.

Invariants:
- Hits never overlap. Where detectors disagree, the leftmost hit wins, then the longest, then the
  more specific type (SIP URI > e-mail > card > phone > display name > IPv6 > IPv4 > configured
  patterns): ``sip:+14155550123@10.0.0.1`` is one SIP URI, not a phone and an IP.
- No hit spans a line break (``\n`` or ``\r``); line and column are computed from the text as given (a ``\\r``
  before ``\\n`` belongs to no finding).
- A redaction placeholder ``[REDACTED:type]`` is never a hit, which makes redaction idempotent.
- Pure: no I/O, no clock, deterministic for a given text and configuration.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

import phonenumbers

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sanitize import addresses, cards, context, custom, network, phones
from caredesk.domain.sanitize.custom import Pattern
from caredesk.domain.sanitize.findings import (
    CARD,
    DISPLAY_NAME,
    EMAIL,
    IPV4,
    IPV6,
    PHONE,
    SIP_URI,
    Finding,
    Location,
    preview,
)

DEFAULT_REGIONS: Final[tuple[str, ...]] = ("US",)

_LINE_BREAK_RE: Final = re.compile(r"[\r\n]")
_PRIORITY: Final = {SIP_URI: 0, EMAIL: 1, CARD: 2, PHONE: 3, DISPLAY_NAME: 4, IPV6: 5, IPV4: 6}
_CUSTOM_PRIORITY: Final = 10


@dataclass(frozen=True, slots=True)
class Hit:
    """A detected span ``[start, end)`` of the scanned text (absolute offsets)."""

    type: str
    start: int
    end: int


def _find_cards(text: str, neutral: context.NeutralSpans) -> Iterator[tuple[int, int]]:
    for m in cards.CANDIDATE_RE.finditer(text):
        if not cards.is_card_number(m.group()) or neutral.numbers.overlaps(*m.span()):
            continue
        line_start, _ = context.line_bounds(text, m.start())
        label = context.label_before(text, m.start(), line_start)
        if context.is_neutral_label(label) and not context.is_card_label(label):
            continue
        yield m.span()


def _validated_regions(regions: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    errors: dict[str, str] = {}
    for i, region in enumerate(regions):
        code = region.upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            errors[f"regions[{i}]"] = f"{region!r} is not a region the phone library knows"
        elif code not in out:
            out.append(code)
    if errors:
        raise ValidationFailed("unknown phone region", errors=errors)
    return tuple(out)


class Scanner:
    """Scans text for End User customer data with the built-in detectors and configured patterns.

    ``regions`` are the ISO 3166 countries whose national number formats are recognised (the
    countries of the reseller's End Users); numbers written internationally are recognised
    whatever the regions. Raises ``ValidationFailed`` for a bad pattern or region.
    """

    __slots__ = ("_patterns", "regions")

    def __init__(self, *, patterns: Iterable[Pattern] = (), regions: Iterable[str] = DEFAULT_REGIONS) -> None:
        self.regions = _validated_regions(regions)
        self._patterns = custom.compile_patterns(patterns)

    @property
    def pattern_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self._patterns)

    def _candidates(self, text: str) -> Iterator[Hit]:
        neutral = context.NeutralSpans(text)
        for start, end in addresses.find_sip_uris(text, neutral):
            yield Hit(SIP_URI, start, end)
        for start, end in addresses.find_emails(text, neutral):
            yield Hit(EMAIL, start, end)
        for start, end in _find_cards(text, neutral):
            yield Hit(CARD, start, end)
        for start, end in phones.find_phones(text, neutral, self.regions):
            yield Hit(PHONE, start, end)
        for start, end in addresses.find_display_names(text, neutral):
            yield Hit(DISPLAY_NAME, start, end)
        for start, end in network.find_ipv6(text, neutral):
            yield Hit(IPV6, start, end)
        for start, end in network.find_ipv4(text, neutral):
            yield Hit(IPV4, start, end)
        for name, start, end in custom.find_custom(text, self._patterns, neutral):
            yield Hit(name, start, end)

    def hits(self, text: str) -> list[Hit]:
        """Non-overlapping hits in text order (leftmost, then longest, then most specific)."""
        candidates = sorted(
            (h for h in self._candidates(text) if not _LINE_BREAK_RE.search(text, h.start, h.end)),
            key=lambda h: (h.start, -(h.end - h.start), _PRIORITY.get(h.type, _CUSTOM_PRIORITY)),
        )
        kept: list[Hit] = []
        covered_to = 0
        for hit in candidates:
            if hit.start >= covered_to:
                kept.append(hit)
                covered_to = hit.end
        return kept

    def scan(self, text: str, *, member: str | None = None, location: Location = "content") -> tuple[Finding, ...]:
        """Findings with 1-based lines, 0-based ``[start, end)`` columns and masked previews."""
        return findings_for(text, self.hits(text), member=member, location=location)


_NEWLINE_RE: Final = re.compile("\n")


def findings_for(
    text: str, hits: Iterable[Hit], *, member: str | None = None, location: Location = "content"
) -> tuple[Finding, ...]:
    """Turn absolute hits into line/column findings (the value itself is only masked)."""
    hits = list(hits)
    if not hits:
        return ()
    newlines = [m.start() for m in _NEWLINE_RE.finditer(text)]
    out: list[Finding] = []
    for hit in hits:
        index = bisect_left(newlines, hit.start)
        line_start = newlines[index - 1] + 1 if index > 0 else 0
        out.append(
            Finding(
                type=hit.type,
                line=index + 1,
                start=hit.start - line_start,
                end=hit.end - line_start,
                preview=preview(hit.type, text[hit.start : hit.end]),
                member=member,
                location=location,
            )
        )
    return tuple(out)
