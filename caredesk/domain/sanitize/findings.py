"""Findings: where customer data was seen in a text, never what it was.

A ``Finding`` names a type (``phone``, ``email``, ``card``, ``sip_uri``, ``display_name``,
``ipv4``, ``ipv6`` or the name of a configured pattern), a 1-based line, a 0-based half-open column
span ``[start, end)`` in code points within that line, and a *masked preview*.

Invariants:
- A finding never holds the value it found. The preview hides every letter and digit but a few
  (a phone keeps its country/area prefix and last two digits, a card its last four), so a preview
  can be shown in an error message, a log or the case timeline.
- For a value with too few characters to hide anything safely, the preview hides all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

PHONE: Final = "phone"
EMAIL: Final = "email"
CARD: Final = "card"
SIP_URI: Final = "sip_uri"
DISPLAY_NAME: Final = "display_name"
IPV4: Final = "ipv4"
IPV6: Final = "ipv6"

BUILTIN_TYPES: Final[tuple[str, ...]] = (SIP_URI, EMAIL, CARD, PHONE, DISPLAY_NAME, IPV6, IPV4)

Location = Literal["content", "name", "comment"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of customer data: its type and position, with a masked preview.

    ``member`` is the archive member path (``"logs/a.zip!/tserver.log"``; nested archives are
    joined with ``"!/"``) or ``None`` for a plain upload. ``location`` says whether it was found in
    the content, in a file or member *name*, or in an archive comment.
    """

    type: str
    line: int
    start: int
    end: int
    preview: str
    member: str | None = None
    location: Location = "content"

    @property
    def column(self) -> int:
        """1-based column of the first character, as editors count."""
        return self.start + 1

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for API error bodies and the case timeline (no raw value in it)."""
        return {
            "type": self.type,
            "member": self.member,
            "location": self.location,
            "line": self.line,
            "column": self.column,
            "end_column": self.end,
            "preview": self.preview,
        }


def _mask_chars(value: str, keep: Callable[[int, int], bool], counted: Callable[[str], bool]) -> str:
    """Replace each *counted* character by ``*`` unless ``keep(index, total)`` says otherwise.

    ``index`` runs over counted characters only, so separators (spaces, dots, dashes) stay as they
    are and the preview keeps the value's shape.
    """
    total = sum(1 for ch in value if counted(ch))
    out: list[str] = []
    index = 0
    for ch in value:
        if counted(ch):
            out.append(ch if keep(index, total) else "*")
            index += 1
        else:
            out.append(ch)
    return "".join(out)


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_alnum(ch: str) -> bool:
    return ch.isalnum()


def mask_digits(value: str, *, head: int, tail: int, hidden_at_least: int) -> str:
    """Keep up to ``head`` leading and ``tail`` trailing digits, hiding at least ``hidden_at_least``.

    The head shrinks first when the value is short: a 7-digit local number shows only its last
    two digits.
    """
    total = sum(1 for ch in value if _is_digit(ch))
    tail = min(tail, max(0, total - hidden_at_least))
    head = min(head, max(0, total - tail - hidden_at_least))
    return _mask_chars(value, lambda i, n: i < head or i >= n - tail, _is_digit)


def mask_phone(value: str) -> str:
    """``+1 415 555 0167`` -> ``+1 415 *** **67``: country and area prefix, last two digits."""
    encoded_plus = value.upper().find("%2B")
    if encoded_plus >= 0:  # URL-encoded "+": its "2" is not a digit of the number
        cut = encoded_plus + 3
        return value[:cut] + mask_digits(value[cut:], head=4, tail=2, hidden_at_least=5)
    return mask_digits(value, head=4, tail=2, hidden_at_least=5)


def mask_card(value: str) -> str:
    """``4111 1111 1111 1111`` -> ``**** **** **** 1111``: the last four digits only."""
    return mask_digits(value, head=0, tail=4, hidden_at_least=9)


def mask_word(value: str, *, head: int = 1) -> str:
    """Keep the first ``head`` letters or digits (none when there are fewer than four)."""
    total = sum(1 for ch in value if _is_alnum(ch))
    head = head if total >= 4 else 0
    return _mask_chars(value, lambda i, n: i < head, _is_alnum)


def mask_host(host: str) -> str:
    """Hide a host but its top-level label (``pc33.example.com`` -> ``****.*******.com``).

    An IP literal keeps only its first octet or group.
    """
    if host.startswith("[") or ":" in host:
        return mask_ip(host)
    labels = host.split(".")
    if len(labels) >= 2 and labels[-1].isalpha():
        return ".".join([mask_word(label, head=0) for label in labels[:-1]] + [labels[-1]])
    if all(label.isdigit() for label in labels):
        return mask_ip(host)
    return mask_word(host, head=0)


def mask_email(value: str) -> str:
    """``jane.doe@example.com`` -> ``j*******@*******.com``."""
    for at in ("@", "%40"):
        local, sep, domain = value.partition(at)
        if sep:
            return f"{mask_word(local)}{sep}{mask_host(domain)}"
    return mask_word(value)


def mask_sip_uri(value: str) -> str:
    """``sip:+14155550167@carrier.example.net`` -> ``sip:+141*****67@*******.*******.net``."""
    scheme, _, rest = value.partition(":")
    user, _, hostport = rest.rpartition("@")
    host, port = hostport, ""
    if not host.startswith("[") and host.count(":") == 1:
        host, _, port = host.partition(":")
        port = ":" + port
    digits = sum(1 for ch in user if _is_digit(ch))
    masked_user = mask_phone(user) if digits >= 7 else mask_word(user)
    return f"{scheme}:{masked_user}@{mask_host(host)}{port}"


def mask_ip(value: str) -> str:
    """``192.0.2.44`` -> ``192.*.*.**``; ``2001:db8::7`` -> ``2001:***::*``: the first part only."""
    seps = "." if "." in value and ":" not in value else ":"
    first, sep, rest = value.partition(seps)
    if not sep:
        return mask_word(value, head=0)
    return first + sep + _mask_chars(rest, lambda i, n: False, _is_alnum)


def mask_other(value: str) -> str:
    """Configured patterns and display names: the first character of values of four or more."""
    return mask_word(value)


MASKS: Final[dict[str, Callable[[str], str]]] = {
    PHONE: mask_phone,
    EMAIL: mask_email,
    CARD: mask_card,
    SIP_URI: mask_sip_uri,
    DISPLAY_NAME: mask_other,
    IPV4: mask_ip,
    IPV6: mask_ip,
}


def preview(kind: str, value: str) -> str:
    """The masked preview for a value of this type (configured patterns use ``mask_other``)."""
    return MASKS.get(kind, mask_other)(value)
