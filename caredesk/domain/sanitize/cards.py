"""Payment card numbers: 13-19 digits, Luhn-valid, with a known issuer prefix and length.

Invariants:
- Separators are optional; when present they are all the same (space or dash) and group the
  digits as cards are printed: fours (``4111 1111 1111 1111``, 19-digit ``4-4-4-4-3``) or Amex/
  Diners ``4-6-5`` / ``4-6-4``. Two phone numbers side by side never read as one card.
- The digits are not glued to letters or to a decimal point: ``0.4111111111111111`` is a ratio and
  ``z9hG4bK4111111111111111`` a SIP branch, not cards.
- The issuer (IIN) table is the public one for the networks a contact centre takes payments for;
  a 16-digit Luhn-valid number starting with 1, 7, 8 or 9 is not a card.
"""

from __future__ import annotations

import re
from typing import Final

CANDIDATE_RE: Final = re.compile(r"(?<![A-Za-z0-9.,])\d(?:[ \-]?\d){12,18}(?![A-Za-z0-9])")

# (low prefix, high prefix, allowed lengths): prefixes compared on their own number of digits.
_IIN_RANGES: Final[tuple[tuple[str, str, frozenset[int]], ...]] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),
    ("6011", "6011", frozenset(range(16, 20))),  # Discover
    ("644", "649", frozenset(range(16, 20))),
    ("65", "65", frozenset(range(16, 20))),
    ("622126", "622925", frozenset(range(16, 20))),
    ("300", "305", frozenset(range(14, 20))),  # Diners Club
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(14, 20))),
    ("3528", "3589", frozenset(range(16, 20))),  # JCB
    ("62", "62", frozenset(range(16, 20))),  # UnionPay
    ("2200", "2204", frozenset(range(16, 20))),  # Mir
    ("5018", "5018", frozenset(range(13, 20))),  # Maestro
    ("5020", "5020", frozenset(range(13, 20))),
    ("5038", "5038", frozenset(range(13, 20))),
    ("5893", "5893", frozenset(range(13, 20))),
    ("6304", "6304", frozenset(range(13, 20))),
    ("6759", "6759", frozenset(range(13, 20))),
    ("6761", "6763", frozenset(range(13, 20))),
    ("60", "60", frozenset({16})),  # RuPay
)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by every card network."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def known_issuer(digits: str) -> bool:
    """True when a network issues numbers of this prefix and length."""
    n = len(digits)
    for low, high, lengths in _IIN_RANGES:
        prefix = digits[: len(low)]
        if low <= prefix <= high and n in lengths:
            return True
    return False


_GROUPINGS_FIXED: Final = ((4, 6, 5), (4, 6, 4))


def printed_grouping(candidate: str) -> bool:
    """Separators absent, or one kind of separator grouping the digits as cards are printed."""
    seps = {ch for ch in candidate if ch in " -"}
    if not seps:
        return True
    if len(seps) > 1:
        return False
    groups = tuple(len(g) for g in re.split(r"[ \-]", candidate))
    if groups in _GROUPINGS_FIXED:
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4


def is_card_number(candidate: str) -> bool:
    """The whole rule: grouping, 13-19 digits, known issuer, Luhn."""
    if not printed_grouping(candidate):
        return False
    digits = re.sub(r"[ \-]", "", candidate)
    return 13 <= len(digits) <= 19 and known_issuer(digits) and luhn_valid(digits)
