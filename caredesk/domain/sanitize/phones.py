"""Phone numbers (ANI/CLI, DNIS, callback numbers) as they appear in contact-centre logs.

Three ways in:
1. ``phonenumbers.PhoneNumberMatcher`` with ``Leniency.VALID`` for each configured region, run
   only on short windows around digit runs (the matcher costs ~0.4 ms per log line; the windows
   make it affordable on megabytes of logs). VALID, not STRICT_GROUPING, because logs print
   numbers unformatted (``4155550123``) or oddly grouped.
2. International forms: ``+`` (or URL-encoded ``%2B``) followed by 7-15 digits is a phone number
   when it is a *possible* number, even if the library's metadata does not list its range yet.
3. ``tel:`` URIs with at least 7 digits.
4. Numbers spelled out in speech-recognition transcripts (``four one five 555 0123``, English
   digit words mixed with digit groups) when the digits make a valid number.

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

# Speech-recognition transcripts in IVR logs spell numbers out: "four one five 555 0123".
_DIGIT_WORDS: Final = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_SPOKEN_WORD: Final = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d{1,4})"
_SPOKEN_RE: Final = re.compile(rf"(?i)(?<![A-Za-z0-9]){_SPOKEN_WORD}(?:[ \-]+{_SPOKEN_WORD}){{3,14}}(?![A-Za-z0-9])")

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
    if cc == 1 and not nanp_grouping(raw):
        return False
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


_NANP_GROUPS: Final = frozenset({(10,), (3, 3, 4), (3, 7), (6, 4)})
_EXTENSION_RE: Final = re.compile(r"[A-Za-z#;,]")


def nanp_grouping(raw: str) -> bool:
    """North American numbers are written 415 555 0123, (415) 555-0123, 1-415-555-0123 or
    4155550123; two numbers side by side (``32768 60999``) are not one phone number."""
    core = _EXTENSION_RE.split(raw, maxsplit=1)[0]
    groups = tuple(len(g) for g in re.findall(r"\d+", core))
    if len(groups) == 1:
        return True
    if groups and groups[0] == 1:
        groups = groups[1:]
    elif groups and groups[0] == 11:
        return False
    return groups in _NANP_GROUPS


def trim_brackets(raw: str, start: int, end: int) -> tuple[int, int]:
    """Drop an opening bracket the number does not close: ``(+14155550142`` in ``Key (phone)=(...``."""
    for opening, closing in (("(", ")"), ("[", "]")):
        if raw.startswith(opening) and closing not in raw:
            return start + 1, end
    return start, end


def _is_possible_international(digits: str) -> bool:
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def _is_valid(digits: str, region: str | None) -> bool:
    try:
        number = phonenumbers.parse(digits if region else "+" + digits, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _json_number(text: str, start: int, end: int, line_start: int, line_end: int) -> bool:
    """A bare JSON number (``"ssrc":4155550123,``): JSON writers quote phone numbers, because of
    their ``+`` and leading zeros, so an unquoted numeric value is a quantity or an id."""
    before = text[line_start:start].rstrip()
    after = text[end:line_end].lstrip()
    return before.endswith('":') and (not after or after[0] in ",}]")


def _context_allows(text: str, start: int, end: int, neutral: context.NeutralSpans) -> bool:
    if neutral.numbers.overlaps(start, end):
        return False
    line_start, line_end = context.line_bounds(text, start)
    label = context.label_before(text, start, line_start)
    if context.is_positive_phone_label(label):
        return True
    if context.is_neutral_label(label) or _json_number(text, start, end, line_start, line_end):
        return False
    if context.unit_follows(text, end, line_end):
        return False
    return context.glued_word_before(text, start, line_start) not in INFRA_WORDS


# PBX outside-line and international access codes a dialled number may carry in a log.
_ACCESS_CODES: Final = ("9011", "900", "011", "00", "9", "")


def _labelled_fallback(digits: str, regions: tuple[str, ...]) -> bool:
    """After a phone label, a number the matcher did not take: an access code before a national
    number (``912125550187``), or a country code without ``+`` (``442079460958``)."""
    for code in _ACCESS_CODES:
        if not digits.startswith(code):
            continue
        rest = digits[len(code) :]
        if len(rest) >= 11 and _is_valid(rest, None):
            return True
        if code and any(_is_valid(rest, region) for region in regions):
            return True
    return False


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
        labelled = context.is_positive_phone_label(context.label_before(text, c_start, line_start))
        matched = False
        for region in regions:
            for start, end, raw, cc, nsn in _matcher_hits(window, region):
                if written_in_accepted_form(raw, region, cc, nsn, labelled=labelled):
                    spans.add(trim_brackets(raw, w_start + start, w_start + end))
                    matched = True
        if matched:
            continue
        digits = _NON_DIGIT_RE.sub("", cand.group())
        grouped = digits != cand.group()
        if labelled and len(digits) <= 16 and _labelled_fallback(digits, regions):
            spans.add((c_start, c_end))
        elif grouped and digits.startswith(("00", "011")):
            # dialled internationally and grouped: 0044 20 7946 0123, 011 33 1 23 45 67 89
            rest = digits[2:] if digits.startswith("00") else digits[3:]
            if _is_valid(rest, None):
                spans.add((c_start, c_end))
    for m in _SPOKEN_RE.finditer(text):
        tokens = re.split(r"[ \-]+", m.group().lower())
        if all(t.isdigit() for t in tokens):
            continue  # plain digit groups: the matcher's business
        digits = "".join(_DIGIT_WORDS.get(t, t) for t in tokens)
        if any(_is_valid(digits, region) for region in regions) or (len(digits) >= 11 and _is_valid(digits, None)):
            spans.add(m.span())
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
