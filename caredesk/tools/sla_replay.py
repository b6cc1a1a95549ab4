"""``caredesk sla replay [--policy FILE] [--package P] [FILE|-]``: case histories through the clocks.

For audits, imports and what-if ("what if this reseller had Business Care?"). Each input line is
one case history::

    {"id": any, "package": "care_for_cloud", "calendar": CAL, "as_of": INSTANT (optional),
     "events": [{"at": INSTANT, "type": "submitted", "severity": 2},
                {"at": INSTANT, "type": "severity_changed", "severity": 1},
                {"at": INSTANT, "type": "responded"}, {"at": INSTANT, "type": "awaiting_reseller"},
                {"at": INSTANT, "type": "resumed"}, {"at": INSTANT, "type": "restored"},
                {"at": INSTANT, "type": "resolved", "code": "third_party"}, {"at": INSTANT, "type": "reopened"}]}

and gets exactly one output line, in input order::

    {"id": same, "severity": current,
     "targets": {"response": {"state": S, "due": INSTANT|null, "met_at": INSTANT|null},
                 "restoration": {...}, "resolution": {...}},
     "post_mortem_due": INSTANT|null}
    or {"id": same, "error": "message"}

S is met, breached, running, paused, not_applicable or cancelled as of ``as_of`` (default: the last
event). ``due`` is null while paused or not applicable. Every event needs its own ``at``; events
must be in time order (equal instants keep their order). Outputs are UTC with ``Z`` to the second,
due instants rounded up. The full format is in ``caredesk.domain.sla.replay``.

``--policy FILE``: a support-policy TOML file instead of the shipped one. ``--package P``: replay
every line under package P, whatever the line says. Blank lines are skipped.

Exit status: 0 when every line answered; 1 when any line got an ``error`` (the others still
answer); 2 for a bad command line, an invalid policy or an unreadable FILE (message on stderr).

Runs on the pure domain core only (no Django). Calendars are cached by their JSON text.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from typing import IO

from caredesk.domain.errors import DomainError
from caredesk.domain.sla.policy import Policy, load_default_policy, load_policy
from caredesk.domain.sla.replay import CalendarCache, replay_request

PROG = "caredesk sla replay"


def answer_line(raw: bytes | str, *, policy: Policy, package: str | None, calendars: CalendarCache) -> tuple[str, bool]:
    """The output line for one input line, and whether it is an error."""
    ident: object = None
    try:
        try:
            request = json.loads(raw)
        except ValueError as exc:
            return json.dumps({"id": None, "error": f"invalid JSON: {exc}"}), True
        if isinstance(request, dict):
            ident = request.get("id")
        answer = replay_request(request, policy=policy, package=package, calendars=calendars)
    except (DomainError, ValueError, OverflowError, OSError) as exc:
        return json.dumps({"id": ident, "error": str(exc)}), True
    return json.dumps(answer), False


def run(
    lines: Iterable[bytes | str],
    out: IO[str],
    *,
    policy: Policy,
    package: str | None = None,
    flush_each: bool = False,
) -> int:
    """Answer every line on ``out``; 1 if any line got an error, else 0."""
    calendars: CalendarCache = {}
    status = 0
    for raw in lines:
        if not raw.strip():
            continue
        text, failed = answer_line(raw, policy=policy, package=package, calendars=calendars)
        if failed:
            status = 1
        out.write(text)
        out.write("\n")
        if flush_each:
            out.flush()
    out.flush()
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Replay case histories (JSON Lines) through the SLA target clocks.",
        epilog="The input and output formats are described in caredesk.tools.sla_replay.",
    )
    parser.add_argument("--policy", metavar="FILE", help="support-policy TOML file (default: shipped)")
    parser.add_argument("--package", metavar="P", help="replay every line under package P")
    parser.add_argument("file", nargs="?", default="-", metavar="FILE|-", help="input (default: stdin)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        policy = load_policy(args.policy) if args.policy else load_default_policy()
        if args.package is not None:
            policy.package(args.package)
    except DomainError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    if args.file == "-":
        return run(
            sys.stdin.buffer,
            sys.stdout,
            policy=policy,
            package=args.package,
            flush_each=sys.stdin.isatty(),
        )
    try:
        handle = open(args.file, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        sys.stderr.write(f"{PROG}: error: cannot read {args.file}: {exc.strerror}\n")
        return 2
    with handle:
        return run(handle, sys.stdout, policy=policy, package=args.package)


if __name__ == "__main__":
    sys.exit(main())
