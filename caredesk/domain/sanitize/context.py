"""Context rules: what surrounds a candidate decides whether it is customer data.

Real logs are full of numbers that *look* like phone numbers, card numbers or IP addresses:
timestamps, epoch seconds, UUIDs, hex connection ids, SIP Call-IDs and tags, byte counts, component
versions. This module holds the two kinds of context the detectors consult:

- **Neutral spans**: stretches of a text that are known identifiers or times (UUIDs, hex ids,
  MACs, ISO/Genesys/nginx timestamps, the values of Call-ID-like keys and headers, and redaction
  placeholders). Each span kind vetoes some detectors: a timestamp vetoes phone and card numbers,
  not e-mail addresses; a placeholder vetoes everything, which is what makes redaction idempotent.
- **Labels**: the key or word written just before a value (``ANI=``, ``"caller": "``,
  ``AttributeANI '``, ``bytes=``, ``version``). A *positive* label (ANI, CLI, caller, phone...)
  says the value is a phone number; a *neutral* label (ts, bytes, port, seq, tag, any ``...id``)
  says it is not, unless it is also positive (``callerid``).

Invariants: everything here is pure and line-local: a label is looked for only on the candidate's
own line, at most ``LABEL_REACH`` characters back.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from typing import Final

LABEL_REACH: Final = 64

# Span kinds and what they veto.
PLACEHOLDER: Final = "placeholder"
NUMERIC_ID: Final = "numeric_id"  # uuid, hex id, mac, timestamp: vetoes phone and card
IDENTIFIER_VALUE: Final = "identifier_value"  # Call-ID & co: vetoes phone, card, e-mail

PLACEHOLDER_RE: Final = re.compile(r"\[REDACTED:[a-z0-9_]+\]")

_NUMERIC_ID_RES: Final[tuple[re.Pattern[str], ...]] = (
    # UUIDs and Genesys GVP-style 8-8 hex session ids
    re.compile(
        r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
        r"[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])"
    ),
    re.compile(r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{8}){1,3}(?![0-9A-Fa-f-])"),
    # 0x-prefixed hex, and long hex runs that mix letters and digits (ConnIDs, CallUUIDs, hashes)
    re.compile(r"\b0[xX][0-9A-Fa-f]{2,}\b"),
    re.compile(r"(?<!%)\b(?=[0-9A-Fa-f]*[A-Fa-f])(?=[0-9A-Fa-f]*[0-9])[0-9A-Fa-f]{8,}\b"),
    # MAC addresses: 00:1a:2b:3c:4d:5e, 00-1A-..., Cisco 001a.2b3c.4d5e
    re.compile(r"(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}(?:([:-])[0-9A-Fa-f]{2})(?:\1[0-9A-Fa-f]{2}){4}\b"),
    re.compile(r"\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b"),
    # ISO 8601 dates and date-times, with optional fraction and offset
    re.compile(
        r"(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
        r"(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
    ),
    # compact date-times 20261127T231028Z / 20261127-231028
    re.compile(r"(?<!\d)\d{8}[T-]\d{6}(?:[.,]\d+)?Z?(?!\d)"),
    # clock times 23:10:28, 23:10:28.1230, Genesys @23:10:28.1230
    re.compile(r"(?<![\d:])@?\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\d:])"),
    # nginx/apache: 27/Nov/2026:23:10:28 +0000; syslog: Nov 27 23:10:28
    re.compile(r"\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?"),
    # numeric dates 27/11/2026, 11/27/2026, 2026/11/27, 27.11.2026
    re.compile(r"(?<![\d/.])(?:\d{1,2}[/.]\d{1,2}[/.]\d{4}|\d{4}/\d{1,2}/\d{1,2})(?![\d/.])"),
)

# Keys whose value is an identifier even when it looks like a phone, a card or an e-mail address
# (a SIP Call-ID is often ``digits@host``).
_IDENTIFIER_VALUE_RES: Final[tuple[re.Pattern[str], ...]] = (
    re.compile(
        r"(?im)^[ \t]*(?:Call-ID|i|Message-ID|X-Call-ID|X-Genesys-CallUUID|Session-ID|"
        r"In-Reply-To|References)[ \t]*:[ \t]*<?(?P<v>[^\s>]+)"
    ),
    re.compile(
        r"(?i)(?<![A-Za-z0-9])(?:call[-_]?id|call[-_]?uuid|conn[-_]?id|session[-_]?id|"
        r"x[-_]call[-_]?id|trace[-_]?id|span[-_]?id|request[-_]?id|correlation[-_]?id|"
        r"message[-_]?id|interaction[-_]?id|uuid|guid)[\"']?[ \t]*[=:][ \t]*[\"'<]?"
        r"(?P<v>[^\s\"',;&<>)\]}]+)"
    ),
    re.compile(
        r"(?<![A-Za-z0-9])Attribute(?:Transfer)?(?:ConnID|CallUUID|CallID|PreviousConnID|"
        r"FirstTransferConnID|LastTransferConnID)[ \t]+'?(?P<v>[^\s']+)"
    ),
)


class SpanSet:
    """Disjoint, sorted ``[start, end)`` intervals with an O(log n) overlap test."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, end - 1) - 1
        return i >= 0 and self._ends[i] > start

    def covers(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, start) - 1
        return i >= 0 and self._ends[i] >= end

    def __bool__(self) -> bool:
        return bool(self._starts)


class NeutralSpans:
    """The neutral spans of one text, grouped by what they veto."""

    __slots__ = ("emails", "everything", "numbers")

    def __init__(self, text: str) -> None:
        placeholders = [m.span() for m in PLACEHOLDER_RE.finditer(text)]
        numeric = [m.span() for rx in _NUMERIC_ID_RES for m in rx.finditer(text)]
        identifiers = [m.span("v") for rx in _IDENTIFIER_VALUE_RES for m in rx.finditer(text)]
        self.everything = SpanSet(placeholders)
        self.numbers = SpanSet(placeholders + numeric + identifiers)
        self.emails = SpanSet(placeholders + identifiers)


# ---------------------------------------------------------------------------------------------
# Labels

_LABEL_RE: Final = re.compile(
    r"(?:^|(?<=[^A-Za-z0-9_.\-]))[\"']?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,48})[\"']?"
    r"[ \t]*(?:=>|->|[:=])?[ \t]*[\"'(<\[]?[ \t]*$"
)

_POSITIVE_EXACT: Final = frozenset(
    {
        "ani", "cli", "clid", "dnis", "from", "to", "tel", "phone", "mobile", "cell", "fax",
        "msisdn", "caller", "callee", "calling", "called", "callerid", "callback", "contact",
        "destination", "dest", "otherdn", "dialed", "dialled", "dial", "dialing", "dialling",
        "ruri", "pai", "ppi", "rpid", "origination", "cid", "cpn", "cgpn", "cdpn",
    }
)  # fmt: skip
_POSITIVE_SUFFIXES: Final = (
    "phone", "phonenumber", "callbacknumber", "contactnumber", "mobilenumber", "telnumber",
    "callernumber", "dialednumber", "callingnumber", "callednumber", "msisdn", "callerid",
    "contactinfo", "otherdn", "caller", "ani", "dnis", "mobile",
)  # fmt: skip

_NEUTRAL_EXACT: Final = frozenset(
    {
        "ts", "t", "id", "pid", "tid", "seq", "cseq", "rseq", "port", "len", "size", "bytes",
        "tag", "branch", "rport", "expires", "ttl", "count", "offset", "crc", "hash", "version",
        "ver", "build", "rev", "ms", "us", "ns", "sec", "secs", "elapsed", "took", "duration",
        "epoch", "time", "timestamp", "date", "line", "uptime", "serial", "sn", "thread",
        "checksum", "maxforwards", "contentlength", "sequence", "index", "idx", "nonce",
        "cnonce", "opaque", "ref", "pos", "length", "sent", "received", "rx", "tx",
        "timeinsecs", "timeinusecs", "total", "max", "min", "avg", "sum",
    }
)  # fmt: skip
_NEUTRAL_SUFFIXES: Final = (
    "id", "ids", "uuid", "time", "timestamp", "ts", "secs", "sec", "ms", "millis", "micros",
    "nanos", "usecs", "bytes", "size", "length", "len", "count", "seq", "sequence",
    "sequencenumber", "port", "duration", "elapsed", "latency", "epoch", "version", "hash",
    "nonce", "offset", "serial", "checksum", "date", "tag", "branch", "counter", "total",
)  # fmt: skip

_CARD_POSITIVE_SUFFIXES: Final = (
    "card", "cardnumber", "cardno", "pan", "ccnumber", "ccnum", "cc", "creditcard", "digits",
    "dtmf", "collected", "input", "payment",
)  # fmt: skip

_VERSION_EXACT: Final = frozenset(
    {
        "v", "ver", "version", "release", "rel", "build", "rev", "revision", "fw", "firmware",
        "sw", "software", "patch", "upgrade", "upgraded", "downgraded", "hotfix", "jre", "jdk",
    }
)  # fmt: skip
_VERSION_SUFFIXES: Final = ("version", "release", "build", "revision", "firmware", "ver")

_UNIT_AFTER_RE: Final = re.compile(
    r"[ \t]?(?:ms|msec|msecs|s|sec|secs|seconds|us|usec|µs|ns|b|bytes|kb|mb|gb|kib|mib|gib|%)"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)

# A product/version token (``Chrome/120.0.0.0``, ``Genesys-SIPServer/8.1.103.55``) and the
# Genesys log record header ``@23:10:28.1230 [0] 8.1.103.55 ...`` whose dotted quad is the
# component's version.
_PRODUCT_TOKEN_RE: Final = re.compile(r"(?:^|[\s(;\"'\[,])[A-Za-z][A-Za-z0-9_.+\-]*/$")
_GENESYS_HEADER_RE: Final = re.compile(r"^@?\d{2}:\d{2}:\d{2}[.,]\d+[ \t]+\[\d+\][ \t]+$")


def normalise_key(key: str) -> str:
    """``AttributeANI`` -> ``ani``; ``callback_number`` -> ``callbacknumber``;
    ``smtp.from`` -> ``from``."""
    last = [part for part in key.split(".") if part]
    word = (last[-1] if last else key).lower()
    word = re.sub(r"[^a-z0-9]", "", word)
    if word.startswith("attribute") and len(word) > len("attribute"):
        word = word[len("attribute") :]
    if word.startswith("x") and word[1:] in _POSITIVE_EXACT:
        word = word[1:]  # X-ANI, x_cli
    return word


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """``[start, end)`` of the line holding ``pos``, without its ``\\n`` or ``\\r\\n``."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    if end < 0:
        end = len(text)
    if end > start and text[end - 1] == "\r":
        end -= 1
    return start, end


def label_before(text: str, start: int, line_start: int) -> str | None:
    """The normalised key or word just before ``start`` on its line, if any."""
    prefix = text[max(line_start, start - LABEL_REACH) : start]
    match = _LABEL_RE.search(prefix)
    if match is None:
        return None
    return normalise_key(match.group("key"))


def is_positive_phone_label(label: str | None) -> bool:
    if label is None:
        return False
    return label in _POSITIVE_EXACT or label.endswith(_POSITIVE_SUFFIXES)


def is_neutral_label(label: str | None) -> bool:
    if label is None or is_positive_phone_label(label):
        return False
    return label in _NEUTRAL_EXACT or label.endswith(_NEUTRAL_SUFFIXES)


def is_card_label(label: str | None) -> bool:
    return label is not None and label.endswith(_CARD_POSITIVE_SUFFIXES)


def is_version_label(label: str | None) -> bool:
    if label is None:
        return False
    return label in _VERSION_EXACT or label.endswith(_VERSION_SUFFIXES)


def unit_follows(text: str, end: int, line_end: int) -> bool:
    """A duration or size unit right after a number (``4155550123 ms``, ``1048576B``)."""
    return _UNIT_AFTER_RE.match(text, end, line_end) is not None


def in_version_context(text: str, start: int, line_start: int) -> bool:
    """A dotted quad that is a version: after a version label, a ``Product/`` token or as the
    component version of a Genesys log record header."""
    if is_version_label(label_before(text, start, line_start)):
        return True
    prefix = text[max(line_start, start - LABEL_REACH) : start]
    if _PRODUCT_TOKEN_RE.search(prefix):
        return True
    return _GENESYS_HEADER_RE.match(text[line_start:start]) is not None


def glued_word_before(text: str, start: int, line_start: int) -> str | None:
    """The word glued to a value by ``-`` or ``_`` (``trunk`` in ``trunk-4155550123``)."""
    if start <= line_start or text[start - 1] not in "-_":
        return None
    i = start - 1
    j = i
    while j > line_start and text[j - 1].isalpha():
        j -= 1
    return text[j:i].lower() if j < i else None
