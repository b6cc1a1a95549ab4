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
from dataclasses import dataclass
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
        r"message[-_]?id|interaction[-_]?id|uuid|guid)[\"']?(?:[ \t]*[=:][ \t]*|\t+)[\"'<]?"
        r"(?P<v>[^\s\"',;&<>)\]}]+)"
    ),
    # SDP origin line: o=<user> <session id> <session version> IN IP4 <address>
    re.compile(r"(?m)^[ \t]*o=\S+[ \t]+(?P<v>\d+[ \t]+\d+)[ \t]+IN[ \t]+IP[46]"),
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
    r"(?:^|(?<=[^A-Za-z0-9_.\-]))"
    r"(?:<(?P<xml>[A-Za-z_][A-Za-z0-9_.\-]{0,48})>"
    r"|[\"']?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,48})[\"']?[ \t]*(?:=>|->|[:=])?[ \t]*[\"'(<\[]?)"
    r"[ \t]*$"
)
_WORD_RE: Final = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# Labels are compared as a whole (``callerid``) and by their last word (``customer_phone`` ->
# ``phone``, ``AttributeTimeinSecs`` -> ``secs``): a bare suffix test would read ``support`` as
# ``port`` and ``did`` as ``...id``.
_POSITIVE_WHOLE: Final = frozenset(
    {
        "ani", "cli", "clid", "dnis", "from", "to", "tel", "phone", "mobile", "cell", "fax",
        "msisdn", "caller", "callee", "calling", "called", "callerid", "callback", "contact",
        "destination", "dest", "otherdn", "dialed", "dialled", "dial", "dialing", "dialling",
        "ruri", "pai", "ppi", "rpid", "origination", "cid", "cpn", "cgpn", "cdpn", "did",
        "phonenumber", "telnumber", "telephone", "contactinfo", "thirdpartydn", "callerphone",
    }
)  # fmt: skip
_POSITIVE_WORDS: Final = frozenset(
    {"ani", "cli", "clid", "dnis", "phone", "msisdn", "mobile", "cell", "fax", "caller", "callee",
     "tel", "telephone", "callerid", "did"}
)  # fmt: skip
_POSITIVE_SUFFIXES: Final = (
    "phonenumber", "callbacknumber", "contactnumber", "mobilenumber", "telnumber", "callernumber",
    "dialednumber", "callingnumber", "callednumber", "msisdn", "callerid", "contactinfo", "otherdn",
)  # fmt: skip

_NEUTRAL_WHOLE: Final = frozenset(
    {
        "t", "cseq", "rseq", "rport", "maxforwards", "contentlength", "sn", "took", "sent",
        "received", "rx", "tx", "pos", "cnonce", "opaque", "line",
    }
)  # fmt: skip
_NEUTRAL_WORDS: Final = frozenset(
    {
        "id", "ids", "uuid", "guid", "time", "timestamp", "ts", "secs", "sec", "seconds", "ms",
        "millis", "micros", "nanos", "usecs", "us", "ns", "bytes", "size", "length", "len",
        "count", "seq", "sequence", "port", "duration", "elapsed", "latency", "epoch", "version",
        "ver", "hash", "nonce", "offset", "serial", "checksum", "crc", "date", "tag", "branch",
        "counter", "total", "pid", "tid", "thread", "range", "ssrc", "csrc", "packets", "frames",
        "octets", "entries", "records", "rows", "items", "index", "idx", "sum", "max", "min",
        "avg", "ref", "rank", "priority", "weight", "score", "retries", "attempts", "limit",
        "quota", "timeout", "ttl", "expires", "interval", "uptime", "build", "rev", "revision",
        "release", "mtime", "ctime", "atime", "partition",
    }
)  # fmt: skip
_NEUTRAL_SUFFIXES: Final = ("sequencenumber", "timestamp", "checksum", "timeinsecs", "timeinusecs")

_CARD_WORDS: Final = frozenset(
    {"card", "pan", "cc", "digits", "dtmf", "input", "collected", "payment", "cardnumber",
     "ccnumber", "ccnum", "creditcard", "cardno"}
)  # fmt: skip

_VERSION_WORDS: Final = frozenset(
    {
        "v", "ver", "version", "release", "rel", "build", "rev", "revision", "fw", "firmware",
        "sw", "software", "patch", "upgrade", "upgraded", "downgraded", "hotfix", "jre", "jdk",
    }
)  # fmt: skip

_UNIT_AFTER_RE: Final = re.compile(
    r"[ \t]?(?:ms|msec|msecs|s|sec|secs|seconds|us|usec|µs|ns|b|bytes|kb|mb|gb|kib|mib|gib|%"
    r"|entries|records|rows|items|events|messages|requests|packets|frames|octets|blocks|hits"
    r"|misses|times|retries|attempts)"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)

# A product/version token (``Chrome/120.0.0.0``, ``Genesys-SIPServer/8.1.103.55``): a name with
# a capital letter and no dot (``kafka-2.internal/10.20.4.22`` is Java's host/address form), a
# container image tag (``registry.example/router:10.0.0.1``), and the Genesys log record header
# ``@23:10:28.1230 [0] 8.1.103.55 ...`` whose dotted quad is the component's version.
_PRODUCT_TOKEN_RE: Final = re.compile(r"(?:^|[\s(;\"'\[,])(?=[A-Za-z0-9_+\-]*[A-Z])[A-Za-z][A-Za-z0-9_+\-]*/$")
_IMAGE_TAG_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*/[A-Za-z0-9._\-/]+:$")
_GENESYS_HEADER_RE: Final = re.compile(r"^@?\d{2}:\d{2}:\d{2}[.,]\d+[ \t]+\[\d+\][ \t]+$")


@dataclass(frozen=True, slots=True)
class Label:
    """A key or word written before a value: all its words run together, and its last word."""

    whole: str
    last: str


def make_label(key: str) -> Label:
    """``AttributeANI`` -> (ani, ani); ``callback_number`` -> (callbacknumber, number);
    ``smtp.from`` -> (from, from); ``X-ANI`` -> (ani, ani)."""
    segment = [part for part in key.split(".") if part]
    words = [w.lower() for w in _WORD_RE.findall(segment[-1] if segment else key)]
    while len(words) > 1 and words[0] in {"attribute", "x"}:
        words = words[1:]
    if not words:
        return Label("", "")
    return Label("".join(words), words[-1])


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """``[start, end)`` of the line holding ``pos``, without its ``\\n`` or ``\\r\\n``."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    if end < 0:
        end = len(text)
    if end > start and text[end - 1] == "\r":
        end -= 1
    return start, end


def label_before(text: str, start: int, line_start: int) -> Label | None:
    """The key or word just before ``start`` on its line, if any."""
    prefix = text[max(line_start, start - LABEL_REACH) : start]
    match = _LABEL_RE.search(prefix)
    if match is None:
        return None
    return make_label(match.group("xml") or match.group("key"))


def is_positive_phone_label(label: Label | None) -> bool:
    if label is None:
        return False
    return label.whole in _POSITIVE_WHOLE or label.last in _POSITIVE_WORDS or label.whole.endswith(_POSITIVE_SUFFIXES)


def is_neutral_label(label: Label | None) -> bool:
    if label is None or is_positive_phone_label(label):
        return False
    return label.whole in _NEUTRAL_WHOLE or label.last in _NEUTRAL_WORDS or label.whole.endswith(_NEUTRAL_SUFFIXES)


def is_card_label(label: Label | None) -> bool:
    return label is not None and (label.last in _CARD_WORDS or label.whole in _CARD_WORDS)


def is_version_label(label: Label | None) -> bool:
    return label is not None and (label.last in _VERSION_WORDS or label.whole in _VERSION_WORDS)


def unit_follows(text: str, end: int, line_end: int) -> bool:
    """A duration or size unit right after a number (``4155550123 ms``, ``1048576B``)."""
    return _UNIT_AFTER_RE.match(text, end, line_end) is not None


def in_version_context(text: str, start: int, line_start: int) -> bool:
    """A dotted quad that is a version: after a version label, a ``Product/`` token or as the
    component version of a Genesys log record header."""
    if is_version_label(label_before(text, start, line_start)):
        return True
    prefix = text[max(line_start, start - LABEL_REACH) : start]
    if _PRODUCT_TOKEN_RE.search(prefix) or _IMAGE_TAG_RE.search(prefix):
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
