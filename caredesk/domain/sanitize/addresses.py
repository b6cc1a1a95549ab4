"""E-mail addresses, SIP URIs and SIP display names.

- **E-mail**: ``local@domain.tld`` with an alphabetic top-level label, also URL-encoded
  (``jane%40example.com`` in an nginx query string). Not e-mail: the reserved ``.invalid``
  domain (RFC 2606: an address that cannot exist, as in SIP's anonymous identity), Java object ids
  (``Foo@6d06d69c``: no dotted domain), retina asset names (``logo@2x.png``: the "TLD" is a file
  extension), and the values of Call-ID/Message-ID-like keys and headers, whose ``id@host`` form
  only looks like an address.
- **SIP URI**: ``sip:`` or ``sips:`` with a user part, ``user@host[:port]`` where host is a name,
  an IPv4 or a bracketed IPv6 literal. The RFC 3323 anonymous identity
  (``sip:anonymous@anonymous.invalid``) identifies nobody and is not a finding. A URI without a
  user (``sip:10.0.0.5:5060``, a proxy) is not a SIP finding; its host is reported as an IP
  address by the IP detector.
- **Display name**: the caller's name as telephony signals it: the quoted (or, after a
  From/To/Contact/P-Asserted-Identity header, plain) name before ``<sip:``, ``<sips:`` or
  ``<tel:``; the caller-ID form ``"Name" <4155550111>`` (Asterisk, CDRs); and the value of a
  caller-ID-name key (``effective_caller_id_name=``, ``"CallerName":``, ``'CallerName'``,
  ``cnam=``). Network placeholders such as ``Anonymous`` or ``Unavailable`` are not names.
  Names elsewhere (a CRM record's ``name=``) are not recognised: configure a pattern for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from caredesk.domain.sanitize import context

_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE: Final = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"(?P<local>[A-Za-z0-9_+\-](?:[A-Za-z0-9._+\-]|%(?!40)[0-9A-Fa-f]{2})*)"
    r"(?:@|%40)"
    rf"(?P<domain>(?:{_LABEL}\.)+(?P<tld>[A-Za-z]{{2,24}}))"
    r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])"
)

# File extensions that follow "@2x"-style asset names; never top-level domains in our logs.
_FILE_EXTENSIONS: Final = frozenset(
    {
        "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "css", "js", "map", "html",
        "htm", "log", "txt", "json", "xml", "gz", "tar", "wav", "mp3", "pdf", "jar", "class",
        "java", "py", "so", "dll", "exe", "woff", "woff2", "ttf", "invalid",
    }
)  # fmt: skip

_SIP_RE: Final = re.compile(
    r"(?i)(?<![A-Za-z0-9.+\-])sips?:"
    r"[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+@"
    rf"(?:\[[0-9A-Fa-f:.]+\]|{_LABEL}(?:\.{_LABEL})*)"
    r"(?::\d{1,5})?"
)

# RFC 3323 anonymous identities: sip:anonymous@anonymous.invalid and any *.invalid host.
_ANONYMOUS_RE: Final = re.compile(r"(?i)^sips?:anonymous@|\.invalid(?::\d+)?$")

# A name-addr's opening angle bracket: <sip:, <sips:, <tel:, or a caller-ID number <4155550111>.
_NAME_ADDR_OPEN_RE: Final = re.compile(r"<(?:sips?:|tel:|\+?\d{3,}>)", re.IGNORECASE)
# Caller-ID name (CNAM) keys: FreeSWITCH effective_caller_id_name, Twilio CallerName, Genesys
# 'CallerName' user data, Asterisk CALLERID(name)...
_CNAM_RE: Final = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:effective[-_]?|orig(?:ination)?[-_]?)?"
    r"(?:caller[-_]?id[-_]?name|caller[-_]?name|calling[-_]?name|cnam|display[-_]?name|"
    r"callerid\(name\))[\"']?(?:[ \t]*[=:][ \t]*|\t+)"
    r"(?:(?P<open>\\?[\"'])(?P<quoted>[^\"'\r\n]+?)(?P=open)|(?P<bare>[^\"'\t,;&)}\]\r\n<]+))"
)
_TOKEN_DISPLAY_RE: Final = re.compile(
    r"(?im)(?:^|\\r\\n|\\n)[ \t]*(?:From|To|f|t|Contact|m|P-Asserted-Identity|"
    r"P-Preferred-Identity|Remote-Party-ID|Referred-By|Diversion)[ \t]*:[ \t]*"
    r"(?P<name>[^\"<>\s:;,][^\"<>:;,\r\n]*?)[ \t]*<(?:sips?|tel):"
)
_NOT_A_NAME: Final = frozenset(
    {
        "anonymous", "unknown", "unavailable", "restricted", "private", "withheld",
        "out of area", "wireless caller", "toll free", "payphone", "no caller id",
    }
)  # fmt: skip


def find_emails(text: str, neutral: context.NeutralSpans) -> Iterator[tuple[int, int]]:
    for m in _EMAIL_RE.finditer(text):
        if m.group("tld").lower() in _FILE_EXTENSIONS:
            continue
        if neutral.emails.overlaps(*m.span()):
            continue
        yield m.span()


def find_sip_uris(text: str, neutral: context.NeutralSpans) -> Iterator[tuple[int, int]]:
    for m in _SIP_RE.finditer(text):
        if _ANONYMOUS_RE.search(m.group()) or neutral.everything.overlaps(*m.span()):
            continue
        yield m.span()


def _is_name(name: str) -> bool:
    stripped = name.strip().strip("'").strip()
    if not stripped or stripped.lower() in _NOT_A_NAME:
        return False
    return any(ch.isalnum() for ch in stripped)


def _quoted_before(text: str, line_start: int, bracket: int) -> tuple[int, int] | None:
    """The quoted display name that ends just before ``bracket`` (spaces allowed): ``"Name"``,
    JSON-escaped ``\\"Name\\"`` or CSV-doubled ``""Name""``. Looked for backwards from the bracket,
    so a line full of other quotes costs nothing."""
    end = bracket
    while end > line_start and text[end - 1] in " \t":
        end -= 1
    if end <= line_start or text[end - 1] != '"':
        return None
    if text[end - 2 : end] == '\\"':
        quote = '\\"'
    elif text[end - 2 : end] == '""' and text.rfind('""', line_start, end - 2) >= 0:
        quote = '""'
    else:
        quote = '"'
    name_end = end - len(quote)
    opening = text.rfind(quote, line_start, name_end)
    if opening < 0:
        return None
    name_start = opening + len(quote)
    name = text[name_start:name_end]
    if not name or '"' in name.replace('\\"', ""):
        return None
    return name_start, name_end


def find_display_names(text: str, neutral: context.NeutralSpans) -> Iterator[tuple[int, int]]:
    for m in _NAME_ADDR_OPEN_RE.finditer(text):
        line_start, _ = context.line_bounds(text, m.start())
        span = _quoted_before(text, line_start, m.start())
        if span is not None and _is_name(text[span[0] : span[1]]) and not neutral.everything.overlaps(*span):
            yield span
    for rx in (_TOKEN_DISPLAY_RE,):
        for m in rx.finditer(text):
            if _is_name(m.group("name")) and not neutral.everything.overlaps(*m.span("name")):
                yield m.span("name")
    for m in _CNAM_RE.finditer(text):
        group = "quoted" if m.group("quoted") is not None else "bare"
        start, end = m.span(group)
        while end > start and text[end - 1] in " \t":
            end -= 1
        name = text[start:end]
        if _is_name(name) and not name.replace(" ", "").isdigit() and not neutral.everything.overlaps(start, end):
            yield start, end
