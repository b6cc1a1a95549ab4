"""DOMAIN.md "Intake": attachments must be devoid of End User customer data.

Each detector on lines it must catch and on the near-misses real contact-centre logs are full of.
A case is (line, expected findings as (type, exact text)); the whole line's findings must equal
the expectation, so a test fails on a missed value *and* on an extra one.
"""

from __future__ import annotations

import pytest

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sanitize import Finding, Scanner
from caredesk.domain.sanitize.cards import is_card_number, known_issuer, luhn_valid, printed_grouping
from caredesk.domain.sanitize.findings import mask_card, mask_email, mask_ip, mask_phone, mask_sip_uri

SCANNER = Scanner()
UK = Scanner(regions=("US", "GB"))


def found(line: str, scanner: Scanner = SCANNER) -> list[tuple[str, str]]:
    return [(f.type, line[f.start : f.end]) for f in scanner.scan(line)]


PHONES = [
    ("\tAttributeANI\t'4155550123'", [("phone", "4155550123")]),
    ("ANI=4155550123 DNIS=8005550199", [("phone", "4155550123"), ("phone", "8005550199")]),
    ("call from (415) 555-0123 now", [("phone", "(415) 555-0123")]),
    ("agent dialing 1-415-555-0123", [("phone", "1-415-555-0123")]),
    ("caller +1 415-555-0123.", [("phone", "+1 415-555-0123")]),
    ("P-Asserted-Identity: <tel:+13125550111>", [("phone", "tel:+13125550111")]),
    ("ani=tel:4155550123;npdi", [("phone", "tel:4155550123")]),
    ("POST /cb?phone=%2B14155550142&x=1", [("phone", "%2B14155550142")]),
    ("sms to +447700900123 queued", [("phone", "+447700900123")]),  # possible, not in metadata
    ("Call from +44 20 7946 0958 ended", [("phone", "+44 20 7946 0958")]),
    ("dial 0044 20 7946 0958", [("phone", "0044 20 7946 0958")]),
    ("AttributeANI '442079460958'", [("phone", "442079460958")]),  # country code, no +
    ("AttributeOtherDN '912125550187'", [("phone", "912125550187")]),  # PBX access code 9
    ('ASR result "my number is four one five 555 0123"', [("phone", "four one five 555 0123")]),
    ("Key (phone)=(+14155550142) already exists", [("phone", "+14155550142")]),
    ("binding parameter <- [+12125550187]", [("phone", "+12125550187")]),
    ("rec_20261127_4155550123.wav", [("phone", "4155550123")]),
    ("DID 4155550100 routed to VQ_Sales", [("phone", "4155550100")]),
]

PHONE_NEAR_MISSES = [
    "trunk-4155550123 is UP",  # infrastructure named after its DID
    "gw_4155550100 registration refreshed",
    "ThisDN '4021' logged in",  # a DN: short extension
    "bytes=4155550123",  # neutral label
    "tag=4155550123;branch=z9hG4bK4155550123",
    "CSeq: 4155550123 BYE",
    "ts=1764284400 epoch_ms=1764284400000",
    "2026-11-27 23:10:28.123 INFO started",
    "took 4155550123 ms",
    "evicted 4155550123 entries",
    '{"name":"bytes_sent","value":4155550123,"unit":"bytes"}',  # JSON number: a quantity
    '{"codec":"opus","ssrc":4155550123}',
    "net.ipv4.ip_local_port_range = 32768 60999",  # two numbers, not one phone
    "o=root 2063744011 2063744012 IN IP4 203.0.113.9"[:38],  # SDP origin session id/version
    "uuid 12345678-1234-5678-1234-567812345678 created",
    "ConnID 006b02b4c2e4a001 released",
    "0x4155550123 ref",
    "Call-ID: 4155550123@pbx.example.com",
    "offset 4155550123 partition 3",
]


@pytest.mark.parametrize(("line", "expected"), PHONES)
def test_phone_numbers_in_logs_are_customer_data(line: str, expected: list[tuple[str, str]]) -> None:
    assert found(line) == expected


@pytest.mark.parametrize("line", PHONE_NEAR_MISSES)
def test_phone_shaped_identifiers_times_and_quantities_are_not(line: str) -> None:
    assert [t for t in found(line) if t[0] == "phone"] == []


def test_national_numbers_need_their_trunk_prefix_outside_nanp() -> None:
    assert found("contact_info 020 7946 0123 type 1", UK) == [("phone", "020 7946 0123")]
    assert found("ts 1764284400", UK) == []  # would be a valid UK number without its 0
    assert found("id 2079460123 (bare national)", UK) == []
    assert found("ANI=2079460123", UK) == [("phone", "2079460123")]  # a phone label vouches


def test_regions_are_validated() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Scanner(regions=("US", "XX"))
    assert "regions[1]" in caught.value.errors


CARDS = [
    ("Payment declined for card 4000 0566 5566 5556 (code 05)", "4000 0566 5566 5556"),
    ("DTMF collected: 4111111111111111#", "4111111111111111"),
    ('"card":"5555-5555-5555-4444"', "5555-5555-5555-4444"),
    ("Amex 3782 822463 10005 approved", "3782 822463 10005"),
    ("Diners 3056 930902 5904 approved", "3056 930902 5904"),
    ("JCB 3530111333300000 approved", "3530111333300000"),
    ("MC 2-series 2223003122003222", "2223003122003222"),
    ("UnionPay 6200000000000005", "6200000000000005"),
    ("Discover 6011000990139424", "6011000990139424"),
]


@pytest.mark.parametrize(("line", "card"), CARDS)
def test_payment_card_numbers_are_found(line: str, card: str) -> None:
    assert found(line) == [("card", card)]


CARD_NEAR_MISSES = [
    "Order 4111111111111112 not found",  # Luhn fails
    "id 9111111111111119 (Luhn-valid, no issuer)",
    "ratio 0.4111111111111111 computed",
    "branch z9hG4bK4111111111111111 used",
    '"order_id":"4003829174620014"',  # Luhn-valid Visa shape, but the key says id
    "4155 5501 2341 555 0124",  # digits grouped like no card
    "IMEI 490154203237518 registered",  # Luhn-valid, a Visa prefix of the wrong length
    "pan_masked 411111******1111",
]


@pytest.mark.parametrize("line", CARD_NEAR_MISSES)
def test_card_shaped_numbers_that_are_not_cards(line: str) -> None:
    assert [t for t in found(line) if t[0] == "card"] == []


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("41111a1111111111")
    assert not luhn_valid("٤١١١١١١١١١١١١١١١")  # Arabic-Indic digits are not card digits


def test_issuer_prefixes_and_lengths() -> None:
    assert known_issuer("4111111111111")  # Visa 13
    assert not known_issuer("41111111111111")  # Visa 14
    assert known_issuer("378282246310005")
    assert not known_issuer("3782822463100051")  # Amex is 15 digits
    assert known_issuer("2720990000000000") and not known_issuer("2721000000000000")
    assert not known_issuer("1234567812345678")
    assert printed_grouping("4111 1111 1111 1111") and printed_grouping("3782-822463-10005")
    assert not printed_grouping("4111 1111-1111 1111")  # mixed separators
    assert not printed_grouping("41111 11111 111111")
    assert is_card_number("4111-1111-1111-1111") and not is_card_number("4111-1111-1111-1112")


EMAILS = [
    ("user=maria.gonzalez@acme-insurance.example", [("email", "maria.gonzalez@acme-insurance.example")]),
    ("GET /c?email=jane%40example.com HTTP/1.1", [("email", "jane%40example.com")]),
    ("550 5.1.1 <jane.doe@example.com>: rejected", [("email", "jane.doe@example.com")]),
    ("contact: maria+billing@example.co.uk", [("email", "maria+billing@example.co.uk")]),
    ("git clone git@github.com:reseller/crm.git", [("email", "git@github.com")]),
]
EMAIL_NEAR_MISSES = [
    "cache hit for com.reseller.crm.model.Customer@6d06d69c",
    "GET /static/img/logo@2x.png HTTP/2.0",
    "backup by root@localhost finished",
    "Call-ID: 3848276298220188511@atlanta.example.com",
    "'sip-call-id'\t'3848276298220188511@atlanta.example.com'",
    "message-id=<20261127235001.4F2A81C2B3@mail.example.net>",
    'VQ "VQ_Sales_Main@Switch_SIP"',
    "From: <sip:anonymous@anonymous.invalid>",
]


@pytest.mark.parametrize(("line", "expected"), EMAILS)
def test_email_addresses_are_found(line: str, expected: list[tuple[str, str]]) -> None:
    assert found(line) == expected


@pytest.mark.parametrize("line", EMAIL_NEAR_MISSES)
def test_email_shaped_identifiers_are_not(line: str) -> None:
    assert [t for t in found(line) if t[0] in {"email", "sip_uri"}] == []


SIP = [
    (
        'From: "Maria Gonzalez" <sip:+14155550142@carrier.example.net>;tag=8f3a',
        [("display_name", "Maria Gonzalez"), ("sip_uri", "sip:+14155550142@carrier.example.net")],
    ),
    (
        "Contact: <sip:+14155550142@203.0.113.77:5060;transport=udp>",
        [("sip_uri", "sip:+14155550142@203.0.113.77:5060")],
    ),
    ("Refer-To: <sips:agent.smith@reseller.example>", [("sip_uri", "sips:agent.smith@reseller.example")]),
    (
        "From: Priya Raman <sip:7001@pbx.example.com>",
        [("display_name", "Priya Raman"), ("sip_uri", "sip:7001@pbx.example.com")],
    ),
    ('"clid","\\"Laura Smith\\" <4155550111>"', [("display_name", "Laura Smith"), ("phone", "4155550111")]),
    ("set(effective_caller_id_name=Laura Smith)", [("display_name", "Laura Smith")]),
    ('{"CallerName":"LAURA SMITH"}', [("display_name", "LAURA SMITH")]),
    ("Record-Route: <sip:[2001:db8::7];lr>", [("ipv6", "2001:db8::7")]),
]
SIP_NEAR_MISSES = [
    'From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=hyh8',
    "OPTIONS sip:sbc01.reseller.example SIP/2.0",
    "Via: SIP/2.0/UDP sbc.example.com:5060;branch=z9hG4bK776",
    'From: "Unavailable" <sip:sbc.example.com>',
]


@pytest.mark.parametrize(("line", "expected"), SIP)
def test_sip_uris_and_caller_names_are_found(line: str, expected: list[tuple[str, str]]) -> None:
    assert found(line) == expected


@pytest.mark.parametrize("line", SIP_NEAR_MISSES)
def test_sip_lines_without_identities(line: str) -> None:
    assert found(line) == []


IPS = [
    ("Via: SIP/2.0/UDP 198.51.100.23:5060;rport", [("ipv4", "198.51.100.23")]),
    (
        "inet 10.20.1.15  netmask 255.255.255.0  broadcast 10.20.1.255",
        [("ipv4", "10.20.1.15"), ("ipv4", "10.20.1.255")],
    ),
    ("listen [2001:db8:85a3::8a2e:370:7334]:5060", [("ipv6", "2001:db8:85a3::8a2e:370:7334")]),
    ("on eth0 fe80::5054:ff:fe12:3456%eth0 UDP 123", [("ipv6", "fe80::5054:ff:fe12:3456%eth0")]),
    ("mapped ::ffff:10.0.0.1 seen", [("ipv6", "::ffff:10.0.0.1")]),
    ("kafka-2.internal/10.20.4.22:9092", [("ipv4", "10.20.4.22")]),  # Java host/address
    ("resource 1.2.3.4 allocated", [("ipv4", "1.2.3.4")]),  # unlabelled: an address
]
IP_NEAR_MISSES = [
    "Genesys Version: 8.1.103.55",
    "@23:10:28.1230 [0] 8.1.103.55 distribute_event: message EventRinging",
    "Chrome/120.0.0.0 Safari/537.36",
    "User-Agent: Genesys-SIPServer/8.1.103.55",
    "upgrading firmware v1.2.3.4 -> v1.2.4.0",
    "Version 10.0.0.1 installed",
    '{"version":"10.0.0.1"}',
    "<version>3.2.1.0</version>",
    "image: registry.example/router:10.0.0.1",
    "Build 8.5.102.08 deployed",  # leading zero: never an address
    "SNMP trap 1.3.6.1.4.1.1000.2.1",
    "gw 0.0.0.0 lo 127.0.0.1 ::1 mask 255.255.255.0 mcast 239.255.255.250 ff02::1",
    "MAC 00:1A:2B:3C:4D:5E eui 00:1a:2b:ff:fe:3c:4d:5e",
    "time 23:10:28 and std::string and ad::be",
    "kernel 3.10.0-1160.el7.x86_64",
]


@pytest.mark.parametrize(("line", "expected"), IPS)
def test_ip_addresses_are_found(line: str, expected: list[tuple[str, str]]) -> None:
    assert found(line) == expected


@pytest.mark.parametrize("line", IP_NEAR_MISSES)
def test_versions_oids_masks_and_protocol_addresses_are_not(line: str) -> None:
    assert found(line) == []


def test_overlaps_resolve_to_the_most_specific_leftmost_longest_finding() -> None:
    line = "INVITE sip:+14155550123@10.0.0.1:5060 SIP/2.0"
    assert found(line) == [("sip_uri", "sip:+14155550123@10.0.0.1:5060")]


def test_findings_give_line_column_and_a_masked_preview_only() -> None:
    text = "first line\r\nANI=+14155550167 and jane.doe@example.com\n"
    findings = SCANNER.scan(text)
    assert [(f.type, f.line, f.column, f.end) for f in findings] == [("phone", 2, 5, 16), ("email", 2, 22, 41)]
    phone = findings[0]
    assert phone.preview == "+1415*****67"
    assert "4155550167" not in repr(findings) and "jane.doe" not in repr(findings)
    assert phone.as_dict() == {
        "type": "phone",
        "member": None,
        "location": "content",
        "line": 2,
        "column": 5,
        "end_column": 16,
        "preview": "+1415*****67",
    }


@pytest.mark.parametrize(
    ("mask", "value", "preview"),
    [
        (mask_phone, "+1 415 555 0167", "+1 415 *** **67"),
        (mask_phone, "4155550167", "415*****67"),
        (mask_phone, "5550167", "*****67"),
        (mask_phone, "%2B14155550167", "%2B1415*****67"),
        (mask_card, "4111 1111 1111 1111", "**** **** **** 1111"),
        (mask_email, "jane.doe@example.com", "j***.***@*******.com"),
        (mask_email, "jane%40example.com", "j***%40*******.com"),
        (mask_ip, "192.0.2.44", "192.*.*.**"),
        (mask_ip, "2001:db8::7", "2001:***::*"),
        (mask_sip_uri, "sip:+14155550167@carrier.example.net:5060", "sip:+1415*****67@*******.*******.net:5060"),
    ],
)
def test_previews_never_show_the_value(mask: object, value: str, preview: str) -> None:
    assert callable(mask)
    assert mask(value) == preview


def test_finding_is_a_frozen_value() -> None:
    finding = Finding("phone", 1, 0, 10, "415*****23")
    with pytest.raises(AttributeError):
        finding.line = 2  # type: ignore[misc]
