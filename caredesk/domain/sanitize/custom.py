"""Patterns added by configuration: a name and a regular expression, compiled safely.

Invariants:
- A name is a lowercase identifier (``account_number``) distinct from the built-in types; it is
  the finding's type and appears in the placeholder ``[REDACTED:account_number]``.
- A regex that does not compile, can match the empty string, is longer than ``MAX_REGEX_LENGTH``
  or nests unbounded quantifiers (``(a+)+``, the classic catastrophic-backtracking shape) is
  refused with ``ValidationFailed`` naming the pattern and its field path
  (``patterns[2].regex``): Python's ``re`` has no timeout, so a bad pattern would hang a scan.
- Patterns are applied line by line (``^`` and ``$`` anchor at line ends; a match never spans two
  lines). If the regex has a group named ``value``, only that group is the finding
  (``customer_id=(?P<value>\\d+)`` keeps the key and redacts the number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sanitize import context
from caredesk.domain.sanitize.findings import BUILTIN_TYPES

MAX_REGEX_LENGTH: Final = 500
_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True, slots=True)
class Pattern:
    """A configured pattern as written in settings."""

    name: str
    regex: str


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    name: str
    compiled: re.Pattern[str]

    def find(self, text: str, line_start: int, line_end: int) -> Iterator[tuple[int, int]]:
        has_value = "value" in self.compiled.groupindex
        for m in self.compiled.finditer(text, line_start, line_end):
            start, end = m.span("value") if has_value else m.span()
            if end > start:
                yield start, end


def _nested_unbounded_quantifier(regex: str) -> bool:
    """True when a group holding an unbounded quantifier is itself repeated (``(a+)+``,
    ``(\\w*x)*``, ``(a|b+){2,}``). A structural check: it may refuse a harmless pattern, never
    accept one of these shapes."""
    stack: list[bool] = []  # per open group: does it contain an unbounded quantifier?
    last_group_unbounded = False
    i, n = 0, len(regex)
    in_class = False
    while i < n:
        ch = regex[i]
        if ch == "\\":
            i += 2
            last_group_unbounded = False
            continue
        if in_class:
            in_class = ch != "]"
            i += 1
            continue
        if ch == "[":
            in_class = True
            if regex.startswith("[]", i) or regex.startswith("[^]", i):
                i += 2 if regex[i + 1] == "]" else 3
            else:
                i += 1
            last_group_unbounded = False
            continue
        unbounded_here = ch in "*+" or (ch == "{" and re.match(r"\{\d*,\}", regex[i:]) is not None)
        repeated_here = unbounded_here or (ch == "{" and re.match(r"\{\d*,?\d+\}", regex[i:]) is not None)
        if repeated_here and last_group_unbounded:
            return True
        if unbounded_here and stack:
            stack[-1] = True
        if ch == "(":
            stack.append(False)
        elif ch == ")" and stack:
            inner = stack.pop()
            if inner and stack:
                stack[-1] = True
            last_group_unbounded = inner
            i += 1
            continue
        last_group_unbounded = False
        i += 1
    return False


def compile_patterns(patterns: Iterable[Pattern]) -> tuple[CompiledPattern, ...]:
    """Validate and compile configured patterns, or raise ``ValidationFailed``."""
    compiled: list[CompiledPattern] = []
    seen: set[str] = set()
    errors: dict[str, str] = {}
    for i, pattern in enumerate(patterns):
        where = f"patterns[{i}]"
        name, regex = pattern.name, pattern.regex
        if not _NAME_RE.fullmatch(name):
            errors[f"{where}.name"] = f"pattern name {name!r} must be a lowercase identifier of at most 40 characters"
            continue
        if name in BUILTIN_TYPES or name in seen:
            errors[f"{where}.name"] = f"pattern name {name!r} is already used"
            continue
        seen.add(name)
        problem = _regex_problem(regex)
        if problem is not None:
            errors[f"{where}.regex"] = f"pattern {name!r}: {problem}"
            continue
        compiled.append(CompiledPattern(name, re.compile(regex, re.MULTILINE)))
    if errors:
        first = next(iter(errors.values()))
        raise ValidationFailed(f"invalid customer-data pattern: {first}", errors=errors)
    return tuple(compiled)


def _regex_problem(regex: str) -> str | None:
    if not regex:
        return "the regular expression is empty"
    if len(regex) > MAX_REGEX_LENGTH:
        return f"the regular expression is longer than {MAX_REGEX_LENGTH} characters"
    try:
        compiled = re.compile(regex, re.MULTILINE)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    if compiled.search("") is not None:
        return "the regular expression matches the empty string"
    if _nested_unbounded_quantifier(regex):
        return "nested unbounded quantifiers such as (a+)+ can take forever to fail; rewrite it"
    return None


def find_custom(
    text: str, patterns: Sequence[CompiledPattern], neutral: context.NeutralSpans
) -> Iterator[tuple[str, int, int]]:
    """``(name, start, end)`` for every configured-pattern match, line by line."""
    if not patterns:
        return
    line_start = 0
    length = len(text)
    while line_start <= length:
        nl = text.find("\n", line_start)
        line_end = length if nl < 0 else nl
        if line_end > line_start and text[line_end - 1] == "\r":
            line_end -= 1
        for pattern in patterns:
            for start, end in pattern.find(text, line_start, line_end):
                if not neutral.everything.overlaps(start, end):
                    yield pattern.name, start, end
        if nl < 0:
            break
        line_start = nl + 1
