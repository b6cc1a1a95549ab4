"""DOMAIN.md "Intake": "... SIP URIs and other configured patterns": patterns added in settings.

A configured pattern is a name and a regular expression; a bad one is refused with a
ValidationFailed that names the pattern and its field path.
"""

from __future__ import annotations

import pytest

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sanitize import Pattern, Scanner, redact_text

ACCOUNT = Pattern("account_number", r"\bACC-\d{6,10}\b")


def test_a_configured_pattern_is_a_finding_type() -> None:
    scanner = Scanner(patterns=[ACCOUNT])
    line = "Customer ACC-00482913 asked for a refund; record ACC-12 is a test"
    assert [(f.type, line[f.start : f.end], f.preview) for f in scanner.scan(line)] == [
        ("account_number", "ACC-00482913", "A**-********")
    ]
    assert scanner.pattern_names == ("account_number",)


def test_a_value_group_limits_the_finding_to_the_value() -> None:
    scanner = Scanner(patterns=[Pattern("customer_id", r"customer_id=(?P<value>\d+)")])
    assert redact_text("GET /x?customer_id=88213&y=1", scanner).text == "GET /x?customer_id=[REDACTED:customer_id]&y=1"


def test_patterns_apply_line_by_line_with_anchors_at_line_ends() -> None:
    scanner = Scanner(patterns=[Pattern("secret_line", r"^secret=.+$"), Pattern("pair", r"a\s+b")])
    text = "x\r\nsecret=hunter2\r\na\nb\n"
    found = [(f.type, f.line) for f in scanner.scan(text)]
    assert found == [("secret_line", 2)]  # "a\nb" spans two lines: never one finding


@pytest.mark.parametrize(
    ("pattern", "field", "words"),
    [
        (Pattern("bad_regex", r"ACC-(\d+"), "patterns[0].regex", "bad_regex"),
        (Pattern("empty_match", r"\d*"), "patterns[0].regex", "empty string"),
        (Pattern("nested", r"(\w+\s?)+$"), "patterns[0].regex", "nested"),
        (Pattern("nested_braces", r"(?:a|b+){2,}x"), "patterns[0].regex", "nested"),
        (Pattern("too_long", "a" * 501), "patterns[0].regex", "longer"),
        (Pattern("empty", ""), "patterns[0].regex", "empty"),
        (Pattern("Bad Name", r"x"), "patterns[0].name", "lowercase"),
        (Pattern("phone", r"x"), "patterns[0].name", "already used"),
    ],
)
def test_a_bad_pattern_is_refused_naming_it(pattern: Pattern, field: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Scanner(patterns=[pattern])
    assert field in caught.value.errors
    assert words in caught.value.errors[field]
    assert words in str(caught.value) or field.endswith(".name")


def test_every_bad_pattern_is_reported_at_once_with_its_index() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Scanner(patterns=[ACCOUNT, Pattern("account_number", "x"), Pattern("broken", "[")])
    assert set(caught.value.errors) == {"patterns[1].name", "patterns[2].regex"}
    assert "'broken'" in caught.value.errors["patterns[2].regex"]


@pytest.mark.parametrize("regex", [r"(?:ab)+c", r"[(+]+x", r"\(a+\)+", r"(a{1,3}){2}", r"(?P<value>\d+)-\d+"])
def test_safe_regexes_are_accepted(regex: str) -> None:
    Scanner(patterns=[Pattern("ok_pattern", regex)])


def test_a_pattern_never_matches_inside_a_placeholder() -> None:
    scanner = Scanner(patterns=[Pattern("shouting", r"[A-Z]{5,}")])
    redacted = redact_text("ANI=4155550123 STATUS", scanner)
    assert redacted.text == "ANI=[REDACTED:phone] [REDACTED:shouting]"
    assert redact_text(redacted.text, scanner).text == redacted.text
