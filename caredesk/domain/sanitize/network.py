"""IPv4 and IPv6 addresses, validated with the standard ``ipaddress`` module.

Rules (reasons in docs/sanitizer.md):
- IPv4: four dot-separated decimal octets 0-255 without leading zeros (``ipaddress`` refuses
  ``010.0.0.1``, so Genesys versions such as ``8.5.102.08`` never match), not part of a longer
  dotted chain (SNMP OIDs ``1.3.6.1.4.1``) and not glued to a letter. A dotted quad in a version
  context is a version: after a version label (``version 10.0.0.1``, ``"appVersion":"8.1.2.3"``,
  ``v1.2.3.4`` is glued anyway), in a product token (``Chrome/120.0.0.0``) or as the component
  version in a Genesys record header (``@23:10:28.1230 [0] 8.1.103.55``). Anywhere else it is an
  address, even if it could be a version: an IP-shaped value nobody labelled is treated as an IP.
- IPv6: any form ``ipaddress.IPv6Address`` accepts (``::``, embedded IPv4, ``%zone``, inside
  brackets), with at least one decimal digit (so ``ad::be`` in prose is not an address) and not a
  colon-separated MAC/EUI-64 (eight two-hex-digit groups).
- Addresses that identify nobody are not findings: unspecified (``0.0.0.0``, ``::``), loopback
  (``127.0.0.0/8``, ``::1``), multicast, the limited broadcast and netmasks (``255.255.255.0``).
  Private and link-local addresses *are* findings: they map an End User's network.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Final

from caredesk.domain.sanitize import context

_IPV4_RE: Final = re.compile(r"(?<![A-Za-z0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9]|\.[0-9])")
_IPV6_RE: Final = re.compile(
    r"(?<![A-Za-z0-9_:.])"
    r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?"
    r"(?:%[A-Za-z0-9_.\-]+)?"
    r"(?![A-Za-z0-9_:]|\.\d)"
)
_MAC_LIKE_RE: Final = re.compile(r"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5,7}$")


def _netmask(address: ipaddress.IPv4Address) -> bool:
    value = int(address)
    inverted = ~value & 0xFFFFFFFF
    return value >> 24 == 0xFF and (inverted & (inverted + 1)) == 0


def identifies_someone(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """False for addresses that are protocol constants rather than someone's host."""
    if address.is_unspecified or address.is_loopback or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return not _netmask(address)
    return True


def find_ipv4(text: str, neutral: context.NeutralSpans) -> Iterator[tuple[int, int]]:
    for m in _IPV4_RE.finditer(text):
        try:
            address = ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        if not identifies_someone(address) or neutral.everything.overlaps(*m.span()):
            continue
        line_start, _ = context.line_bounds(text, m.start())
        if context.in_version_context(text, m.start(), line_start):
            continue
        yield m.span()


def find_ipv6(text: str, neutral: context.NeutralSpans) -> Iterator[tuple[int, int]]:
    for m in _IPV6_RE.finditer(text):
        candidate = m.group()
        if "::" not in candidate and candidate.count(":") < 7:
            continue  # clock times 23:10:28 and the like: cheap early exit
        bare = candidate.partition("%")[0]
        if not any(ch.isdigit() for ch in bare) or _MAC_LIKE_RE.match(bare):
            continue
        try:
            address = ipaddress.IPv6Address(bare)
        except ValueError:
            continue
        if identifies_someone(address) and not neutral.everything.overlaps(*m.span()):
            yield m.span()
