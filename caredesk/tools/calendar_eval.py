"""``caredesk calendar eval [FILE|-]``: business-calendar arithmetic over JSON Lines.

Each input line is one of::

    {"id": any, "calendar": CAL, "op": "add", "start": INSTANT, "amount": "6bh"}
    {"id": any, "calendar": CAL, "op": "elapsed", "start": INSTANT, "end": INSTANT}

and gets exactly one output line, in input order::

    {"id": same, "due": INSTANT}   {"id": same, "business_seconds": int}   {"id": same, "error": "..."}

CAL is the calendar as JSON (see ``BusinessCalendar.from_dict``); INSTANT is ISO 8601 with a UTC
offset (``Z`` or ``+HH:MM``), a naive one is refused. Output instants are UTC with ``Z``, to the
second. Rounding, decided so that a deadline is never early: the due instant is computed to the
microsecond and then rounded UP to the whole second; ``business_seconds`` is rounded DOWN (floor).
An amount may be on either clock (``15m``, ``4h`` add absolute time). Blank lines are skipped;
a line that is not UTF-8 or not exactly one JSON object is an error of that line alone.

Exit status: 0 when every line answered; 1 when any line got an ``error`` (the others still
answer); 2 for a bad command line or an unreadable FILE (one line on stderr).

Runs on the pure domain core only (no Django; numpy is never imported). Calendars are cached by
their JSON text, so a file that repeats one calendar builds it once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import IO, Any

from caredesk.domain.errors import DomainError
from caredesk.domain.sla.amounts import parse_amount
from caredesk.domain.sla.calendar import BusinessCalendar

PROG = "caredesk calendar eval"
USAGE = f"usage: {PROG} [FILE|-]\n"


_DECODER = json.JSONDecoder()


class LineError(Exception):
    """A problem with one input line, answered as ``{"id": ..., "error": message}``."""


def _instant(line: dict[str, Any], field: str) -> float:
    if field not in line:
        raise LineError(f"missing field {field!r}")
    text = line[field]
    if not isinstance(text, str):
        raise LineError(f"{field}: expected an ISO 8601 date-time string, got {text!r}")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise LineError(f"{field}: {text!r} is not an ISO 8601 date-time (e.g. 2026-03-02T09:00:00-05:00)") from None
    if value.tzinfo is None:
        raise LineError(f"{field}: {text!r} has no UTC offset; add Z or +HH:MM")
    try:
        return value.timestamp()
    except (OverflowError, ValueError, OSError):
        raise LineError(f"{field}: {text!r} is outside the supported range") from None


def _utc_text(posix_seconds: int) -> str:
    return datetime.fromtimestamp(posix_seconds, UTC).isoformat()[:-6] + "Z"


class Evaluator:
    """Answers lines one at a time; keeps the calendar and amount caches between them.

    Calendars are cached by their exact JSON value: a line whose calendar equals (``==``) one of
    the few most recently built valid calendars reuses it (``==`` treats ``true`` as ``1``, and
    ``business_day_hours`` is the only CAL field where both could be valid, so a bool there skips
    this shortcut); any other calendar is looked up by ``repr``, which tells ``true``, ``1`` and
    ``1.0`` apart, so invalid calendars are remembered with their error too.
    """

    _RECENT = 4

    def __init__(self) -> None:
        self._by_repr: dict[str, BusinessCalendar | str] = {}
        self._recent: list[tuple[dict[str, Any], BusinessCalendar]] = []
        self._amounts: dict[tuple[str, float], tuple[float, bool] | str] = {}

    def calendar(self, cal: Any) -> BusinessCalendar:
        for known, calendar in self._recent:
            if cal == known and type(cal.get("business_day_hours")) is not bool:
                return calendar
        key = repr(cal)
        found = self._by_repr.get(key)
        if found is None:
            try:
                found = BusinessCalendar.from_dict(cal)
            except DomainError as exc:
                found = str(exc)
            if len(self._by_repr) > 10_000:
                self._by_repr.clear()
            self._by_repr[key] = found
        if isinstance(found, str):
            raise LineError(found)
        if isinstance(cal, dict) and type(cal.get("business_day_hours")) is not bool:
            self._recent.insert(0, (cal, found))
            del self._recent[self._RECENT :]
        return found

    def amount_seconds(self, text: Any, calendar: BusinessCalendar) -> tuple[float, bool]:
        """Seconds of the amount on its clock, and whether that clock is the business one."""
        if not isinstance(text, str):
            raise LineError(f"amount: expected text such as '6bh', got {text!r}")
        key = (text, calendar.business_day_seconds)
        found = self._amounts.get(key)
        if found is None:
            try:
                amount = parse_amount(text)
                if amount is None:
                    found = "amount: '-' means not applicable; there is no due instant"
                else:
                    found = (amount.seconds(calendar), amount.business)
            except DomainError as exc:
                found = f"amount: {exc}"
            if len(self._amounts) > 10_000:
                self._amounts.clear()
            self._amounts[key] = found
        if isinstance(found, str):
            raise LineError(found)
        return found

    def answer(self, raw: bytes | str) -> tuple[str, bool]:
        """The output line for one stripped, non-blank input line, and whether it is an error."""
        ident: Any = None
        try:
            try:
                text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                line, stop = _DECODER.raw_decode(text)
            except UnicodeDecodeError as exc:
                raise LineError(f"not UTF-8: {exc}") from None
            except ValueError as exc:
                raise LineError(f"invalid JSON: {exc}") from None
            if stop != len(text):
                raise LineError(f"invalid JSON: extra data after the object at column {stop + 1}")
            if not isinstance(line, dict):
                raise LineError("each line must be a JSON object")
            if "id" not in line:
                raise LineError("missing field 'id'")
            ident = line["id"]
            if "calendar" not in line:
                raise LineError("missing field 'calendar'")
            if "op" not in line:
                raise LineError("missing field 'op'")
            op = line["op"]
            if op == "add":
                start = _instant(line, "start")
                if "amount" not in line:
                    raise LineError("missing field 'amount'")
                calendar = self.calendar(line["calendar"])
                seconds, business = self.amount_seconds(line["amount"], calendar)
                due = calendar.add_posix(start, seconds) if business else start + seconds
                micros = round(due * 1_000_000)
                body = f'"due": "{_utc_text(-(-micros // 1_000_000))}"'
            elif op == "elapsed":
                start = _instant(line, "start")
                end = _instant(line, "end")
                calendar = self.calendar(line["calendar"])
                micros = round(calendar.elapsed_posix(start, end) * 1_000_000)
                body = f'"business_seconds": {micros // 1_000_000}'
            else:
                raise LineError(f"op: unknown operation {op!r}; expected 'add' or 'elapsed'")
        except LineError as exc:
            return json.dumps({"id": ident, "error": str(exc)}), True
        except (DomainError, ValueError, OverflowError, OSError) as exc:
            return json.dumps({"id": ident, "error": str(exc)}), True
        ident_text = str(ident) if type(ident) is int else json.dumps(ident)
        return f'{{"id": {ident_text}, {body}}}', False


def run(lines: Iterable[bytes | str], out: IO[str], *, flush_each: bool = False) -> int:
    """Answer every line of ``lines`` on ``out``; 1 if any line got an error, else 0."""
    evaluator = Evaluator()
    status = 0
    answer = evaluator.answer
    pending: list[str] = []
    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        text, failed = answer(stripped)
        if failed:
            status = 1
        pending.append(text)
        if flush_each or len(pending) >= 4096:
            pending.append("")
            out.write("\n".join(pending))
            out.flush()
            pending.clear()
    if pending:
        pending.append("")
        out.write("\n".join(pending))
    out.flush()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE + (__doc__ or ""))
        return 0
    if len(args) > 1 or (args and args[0].startswith("-") and args[0] != "-"):
        sys.stderr.write(f"{PROG}: error: expected at most one argument, FILE or -\n{USAGE}")
        return 2
    path = args[0] if args else "-"
    if path == "-":
        stdin = sys.stdin.buffer
        return run(stdin, sys.stdout, flush_each=sys.stdin.isatty())
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        sys.stderr.write(f"{PROG}: error: cannot read {path}: {exc.strerror}\n")
        return 2
    with handle:
        return run(handle, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
