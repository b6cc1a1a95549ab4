"""DOMAIN.md "Intake": with redaction asked, "only the redacted file is stored" and the case
timeline says what was redacted.

Redaction replaces each finding by ``[REDACTED:<type>]``; it is idempotent and never leaves or
creates a finding.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from caredesk.domain.sanitize import Pattern, RedactionSummary, Scanner, placeholder, redact_text
from caredesk.domain.sanitize.redact import summary_lines

CORPUS = Path(__file__).resolve().parents[2] / "data" / "sanitize" / "corpus.jsonl"
LINES = [json.loads(raw)["text"] for raw in CORPUS.read_text(encoding="utf-8").splitlines() if raw.strip()]
SCANNER = Scanner(patterns=[Pattern("account_number", r"\bACC-\d{6,10}\b")], regions=("US", "GB"))


def test_each_finding_becomes_a_typed_placeholder_and_the_rest_is_kept() -> None:
    text = "ANI=4155550123 from 10.1.2.3\r\nno data here\r\nmail jane@example.com\r\n"
    result = redact_text(text, SCANNER)
    assert result.text == ("ANI=[REDACTED:phone] from [REDACTED:ipv4]\r\nno data here\r\nmail [REDACTED:email]\r\n")
    assert result.summary == RedactionSummary((("email", 1), ("ipv4", 1), ("phone", 1)), (1, 3))
    assert result.summary.as_dict() == {"counts": {"email": 1, "ipv4": 1, "phone": 1}, "lines": [1, 3], "total": 3}
    assert result.changed
    assert placeholder("card") == "[REDACTED:card]"


def test_a_text_without_findings_is_returned_unchanged() -> None:
    result = redact_text("2026-11-27 23:10:28.123 INFO started in 4155 ms on port 8080\n", SCANNER)
    assert not result.changed and result.summary.total == 0
    assert result.text == "2026-11-27 23:10:28.123 INFO started in 4155 ms on port 8080\n"


def test_redaction_is_idempotent_on_the_whole_corpus() -> None:
    text = "\n".join(LINES)
    once = redact_text(text, SCANNER)
    twice = redact_text(once.text, SCANNER)
    assert twice.text == once.text and not twice.changed
    assert SCANNER.scan(once.text) == ()
    assert once.text.count("\n") == text.count("\n")
    assert once.summary.total == len(once.findings) > 250


def test_a_value_uncovered_by_redaction_is_redacted_too() -> None:
    # The account number is glued to the address, so it has no word boundary until the address
    # has become a placeholder: a second pass must catch it.
    text = "peer 10.0.0.1ACC-00482913 up"
    assert [h.type for h in SCANNER.hits(text)] == ["ipv4"]
    result = redact_text(text, SCANNER)
    assert result.text == "peer [REDACTED:ipv4][REDACTED:account_number] up"
    assert result.summary.counts_by_type() == {"account_number": 1, "ipv4": 1}


def test_summary_lines_for_the_timeline() -> None:
    summary = RedactionSummary((("email", 1), ("phone", 3)), (4, 17, 22))
    assert summary_lines({"tserver.log": summary, None: RedactionSummary()}) == [
        "tserver.log: 1 email, 3 phone (lines 4, 17, 22)"
    ]
    many = RedactionSummary((("ipv4", 30),), tuple(range(1, 31)))
    assert summary_lines({None: many})[0].endswith("and 10 more)")
    assert summary.merged(many).counts_by_type() == {"email": 1, "ipv4": 30, "phone": 3}


FRAGMENTS = st.one_of(
    st.sampled_from(LINES),
    st.text(alphabet="0123456789 +-.:()@[]/=_'\"<>;%abcdefxyzACDEFRT\t", max_size=60),
    st.sampled_from(["[REDACTED:phone]", "[REDACTED:", "sip:", "tel:", "@example.com", "::", "%40", "%2B"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, min_size=1, max_size=6), st.sampled_from(["\n", "\r\n", " ", ""]))
def test_redacted_text_holds_no_finding_and_redacting_again_changes_nothing(parts: list[str], glue: str) -> None:
    text = glue.join(parts)
    once = redact_text(text, SCANNER)
    assert SCANNER.scan(once.text) == ()
    assert redact_text(once.text, SCANNER).text == once.text
    assert once.text.count("\n") == text.count("\n")
    assert once.text.count("\r") == text.count("\r")
