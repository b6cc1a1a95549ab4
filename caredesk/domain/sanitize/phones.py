"""Phone numbers (ANI/CLI, DNIS, callback numbers) as they appear in contact-centre logs.

Three ways in:
1. ``phonenumbers.PhoneNumberMatcher`` with ``Leniency.VALID`` for each configured region, run
   only on short windows around digit runs (the matcher costs ~0.4 ms per log line; the windows
   make it affordable on megabytes of logs). VALID, not STRICT_GROUPING, because logs print
   numbers unformatted (``4155550123``) or oddly grouped.
2. International forms: ``+`` (or URL-encoded ``%2B``) followed by 7-15 digits is a phone number
   when it is a *possible* number, even if the library's metadata does not list its range yet.
3. ``tel:`` URIs with at least 7 digits.

Rules that keep log noise out (see docs/sanitizer.md for the reasons):
- A national number without its trunk prefix (``2079460123`` for London) is accepted only for
  NANP (+1, where the prefix is routinely omitted), regions with no trunk prefix, or after a
  phone label (``ANI=``, ``caller:``...). Likewise a country code written without ``+``
  (``442079460123``). Epoch seconds and other 10-digit ids then do not read as UK numbers.
- Values of neutral labels (``bytes=``, ``ts=``, ``tag=``, any ``...id``), numbers followed by a
  unit (``ms``, ``bytes``), numbers inside neutral spans (timestamps, UUIDs, hex ids, Call-IDs)
  and infrastructure identifiers named after a number (``trunk-4155550123``, ``gw_4155550123``)
  are not phone numbers. Short extensions (DNs such as ``4021``) are never valid numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Final

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberMatcher

from caredesk.domain.sanitize import context

CANDIDATE_RE: Final = re.compile(r"\d(?:[ \t().\-/]{0,3}\d){6,}")
_E164_RE: Final = re.compile(r"(?<![A-Za-z0-9%+])(?:\+|%2[Bb])\d(?:[ \-.]?\d){6,14}(?!\d)")
_TEL_RE: Final = re.compile(r"(?i)(?<![A-Za-z0-9])tel:(?:\+|%2[Bb])?[\d\-.()]*\d")
_NON_DIGIT_RE: Final = re.compile(r"\D")

WINDOW_BEFORE: Final = 8
WINDOW_AFTER: Final = 3

# Identifiers of contact-centre infrastructure that are named after a number they route: the
# business's own DID, not an End User's number.
INFRA_WORDS: Final = frozenset(
    {
        "trunk", "trk", "tg", "gw", "gateway", "sbc", "route", "routepoint", "rp", "did", "dn",
        "vq", "queue", "switch", "pbx", "line", "ivr", "group", "place", "tenant", "port",
    }
)  # fmt: skip

_Match = tuple[int, int, str, int, str]  # start, end, raw string, country code, national number


@lru_cache(maxsize=65536)
def _matcher_hits(window: str, region: str) -> tuple[_Match, ...]:
    found: list[_Match] = []
    for m in PhoneNumberMatcher(window, region, leniency=Leniency.VALID):
        number = m.number
        cc = number.country_code or 0
        found.append((m.start, m.end, m.raw_string, cc, phonenumbers.national_significant_number(number)))
    return tuple(found)


@lru_cache(maxsize=256)
def _region_prefixes(region: str) -> tuple[re.Pattern[str] | None, str | None]:
    md = PhoneMetadata.metadata_for_region(region)
    if md is None:
        return None, None
    idd = re.compile(f"(?:{md.international_prefix})") if md.international_prefix else None
    return idd, md.national_prefix


def written_in_accepted_form(raw: str, region: str, cc: int, nsn: str, *, labelled: bool) -> bool:
    """Whether the way the number is written makes it credible in a log (see module docstring)."""
    if raw.lstrip("( ").startswith("+"):
        return True
    digits = _NON_DIGIT_RE.sub("", raw)
    idd, trunk_prefix = _region_prefixes(region)
    if idd is not None:
        m = idd.match(digits)
        if m is not None and m.end() > 0 and digits[m.end() :] == f"{cc}{nsn}":
            return True
    if digits == nsn:
        return cc == 1 or not trunk_prefix or labelled
    if trunk_prefix and digits == trunk_prefix + nsn:
        return True
    if digits == f"{cc}{nsn}":
        return cc == 1 or labelled
    return True


def _is_possible_international(digits: str) -> bool:
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def _is_valid_international(digits: str) -> bool:
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _context_allows(text: str, start: int, end: int, neutral: context.NeutralSpans) -> bool:
    if neutral.numbers.overlaps(start, end):
        return False
    line_start, line_end = context.line_bounds(text, start)
    label = context.label_before(text, start, line_start)
    if context.is_neutral_label(label):
        return False
    if context.unit_follows(text, end, line_end):
        return False
    return context.glued_word_before(text, start, line_start) not in INFRA_WORDS


def find_phones(text: str, neutral: context.NeutralSpans, regions: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """``[start, end)`` spans of phone numbers in ``text`` (may overlap one another)."""
    spans: set[tuple[int, int]] = set()
    for cand in CANDIDATE_RE.finditer(text):
        c_start, c_end = cand.span()
        if neutral.numbers.covers(c_start, c_end):
            continue
        line_start, line_end = context.line_bounds(text, c_start)
        w_start = max(line_start, c_start - WINDOW_BEFORE)
        w_end = min(line_end, c_end + WINDOW_AFTER)
        window = text[w_start:w_end]
        label = context.label_before(text, c_start, line_start)
        labelled = context.is_positive_phone_label(label)
        matched = False
        for region in regions:
            for start, end, raw, cc, nsn in _matcher_hits(window, region):
                if written_in_accepted_form(raw, region, cc, nsn, labelled=labelled):
                    spans.add((w_start + start, w_start + end))
                    matched = True
        if not matched:
            # An international number written without "+": after a phone label, or dialled
            # with an international prefix and grouped (0044 20 7946 0123).
            digits = _NON_DIGIT_RE.sub("", cand.group())
            grouped = digits != cand.group()
            for idd in ("00", "011", ""):
                rest = digits[len(idd) :]
                if not digits.startswith(idd) or not 8 <= len(rest) <= 15:
                    continue
                if ((labelled and len(rest) >= 11) or (idd and grouped)) and _is_valid_international(rest):
                    spans.add((c_start, c_end))
                    break
    for m in _E164_RE.finditer(text):
        written = m.group()
        digits = _NON_DIGIT_RE.sub("", written[1:] if written.startswith("+") else written[3:])
        if _is_possible_international(digits):
            spans.add(m.span())
    for m in _TEL_RE.finditer(text):
        if len(_NON_DIGIT_RE.sub("", m.group().replace("%2B", "").replace("%2b", ""))) >= 7:
            spans.add(m.span())
    for start, end in sorted(spans):
        if _context_allows(text, start, end, neutral):
            yield start, end
