"""``caredesk maintenance windows``: the policy's planned maintenance occurrences, as JSON Lines.

    caredesk maintenance windows --service S --from INSTANT --to INSTANT [--tz ZONE] [--policy FILE]

Prints, in time order, one line ``{"service": S, "start": "...Z", "end": "...Z"}`` (UTC, to the
second) for every planned occurrence of service S in the policy's maintenance table that overlaps
``[from, to)``, whole and unclipped. INSTANT is ISO 8601 with a UTC offset (``Z`` or ``+HH:MM``);
a naive one is refused. ``--tz`` is the deployment's IANA zone, which PureEngage Cloud's "Local
time" windows need. ``--policy`` defaults to the shipped policy.

Exit status: 0 on success; 1 with one line on stderr for a bad instant, ``to`` before ``from``, an
unknown service or zone, a missing ``--tz``, or an unreadable policy; 2 (argparse's usage error,
also one line) for a malformed command line.

Runs on the pure domain core only: no Django is imported. The policy file is read with ``tomllib``
and only its ``[services]`` table is used, each row validated by the same
``parse_maintenance_rows`` the whole-policy loader uses.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from caredesk.domain.errors import InvalidPolicy, ValidationFailed
from caredesk.domain.maintenance.rules import WindowRule, parse_maintenance_rows, resolve_zone
from caredesk.domain.maintenance.windows import as_utc, occurrences

PROG = "caredesk maintenance windows"
DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policies" / "cloud-resellers-v4.toml"


class CommandError(Exception):
    """A problem reported as one line on stderr with exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Planned maintenance occurrences of one service overlapping [from, to), as JSON Lines (UTC).",
    )
    parser.add_argument("--service", required=True, help="service id, e.g. premier_edition")
    parser.add_argument("--from", dest="start", required=True, metavar="INSTANT", help="ISO 8601 with offset")
    parser.add_argument("--to", dest="end", required=True, metavar="INSTANT", help="ISO 8601 with offset")
    parser.add_argument("--tz", default=None, metavar="ZONE", help="the deployment's IANA time zone")
    parser.add_argument("--policy", type=Path, default=DEFAULT_POLICY, metavar="FILE", help="support policy TOML")
    return parser


def parse_instant(text: str, option: str) -> datetime:
    """An aware datetime from ISO 8601 text; naive or malformed text is a ``CommandError``."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: {text!r} is not an ISO 8601 date-time (e.g. 2027-01-05T00:00:00Z)") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise CommandError(f"{option}: {text!r} has no UTC offset; add Z or +HH:MM (e.g. 2027-01-05T00:00:00Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise CommandError(f"{option}: {text!r} is outside the years 1-9999 in UTC") from None


def load_service_rules(policy: Path, service: str) -> tuple[WindowRule, ...]:
    """The maintenance rules of ``service`` from the ``[services]`` table of ``policy``."""
    try:
        data = tomllib.loads(policy.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read policy {str(policy)!r}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"policy {str(policy)!r} is not valid TOML: {exc}") from None
    services = data.get("services")
    if not isinstance(services, dict) or not services:
        raise CommandError(f"policy {str(policy)!r} has no [services] table")
    if service not in services:
        known = ", ".join(sorted(services))
        raise CommandError(f"unknown service {service!r}; the policy knows: {known}")
    table = services[service]
    rows = table.get("maintenance", []) if isinstance(table, dict) else None
    try:
        return parse_maintenance_rows(service, rows)
    except InvalidPolicy as exc:
        raise CommandError(f"policy {str(policy)!r}: {exc.message}") from None


def _utc_text(instant: datetime) -> str:
    return as_utc(instant, "instant").replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def run(argv: Sequence[str]) -> list[dict[str, str]]:
    """The output records for ``argv``; a ``CommandError`` or ``ValidationFailed`` on bad input."""
    args = _parser().parse_args(list(argv))
    start = parse_instant(args.start, "--from")
    end = parse_instant(args.end, "--to")
    if end < start:
        raise CommandError(f"--to ({args.end}) is before --from ({args.start})")
    if args.tz is not None:
        try:
            resolve_zone(args.tz, field="--tz")
        except ValidationFailed:
            raise CommandError(
                f"--tz: unknown time zone {args.tz!r}; expected an IANA name such as America/New_York"
            ) from None
    rules = load_service_rules(args.policy, args.service)
    if args.tz is None and any(rule.needs_deployment_zone for rule in rules):
        raise CommandError(
            f"{args.service} windows run in the deployment's local time: give its zone with --tz "
            "(e.g. --tz America/New_York)"
        )
    return [
        {"service": occurrence.service, "start": _utc_text(occurrence.start), "end": _utc_text(occurrence.end)}
        for occurrence in occurrences(rules, start, end, deployment_tz=args.tz)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        records = run(sys.argv[1:] if argv is None else argv)
    except (CommandError, ValidationFailed) as exc:
        message = exc.message if isinstance(exc, ValidationFailed) else str(exc)
        print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
        return 1
    try:
        sys.stdout.write("".join(json.dumps(record) + "\n" for record in records))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (``| head``): not an error of ours; keep Python from
        # complaining again when it flushes stdout at exit.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    return 0


if __name__ == "__main__":
    sys.exit(main())
