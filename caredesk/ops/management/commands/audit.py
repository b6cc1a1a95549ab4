"""``caredesk audit verify``: check every hash-chained timeline (cases, CSM requests, feature requests).

caredesk audit verify [--heads FILE] [--json]
    Walks every chain and names the first broken link of each (chain, event number and what is
    wrong: edited, missing or reordered). With ``--heads FILE`` it also checks an anchor written
    earlier by ``audit heads``: the newest events of a chain can be deleted without breaking the
    chain itself, but not without losing an anchored head. Exit status 0 when every chain is
    whole, 1 when any is broken, 2 for an unreadable anchor file.

caredesk audit heads [--out FILE]
    Writes the anchor: the newest event of every chain, one JSON object per line. Keep it outside
    the database (a ticket, a signed mail, object storage with retention).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caredesk.cases.timeline import audit_verify, chain_heads, verify_heads


class Command(BaseCommand):
    help = "Verify the hash chains of every timeline (audit verify) or write an anchor of their heads (audit heads)."
    # Reads the database only: an auditor must be able to run it even when an unrelated part of the
    # configuration (URLs, templates) fails the system checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check every chain; exit 1 if any is broken")
        verify.add_argument("--heads", metavar="FILE", help="also check an anchor written by `audit heads`")
        verify.add_argument("--json", action="store_true", help="one JSON object per broken chain, then a summary")
        heads = sub.add_parser("heads", help="write the newest event of every chain (JSON Lines)")
        heads.add_argument("--out", metavar="FILE", help="write here instead of standard output")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "heads":
            self._heads(options.get("out"))
        else:
            self._verify(options.get("heads"), bool(options.get("json")))

    def _heads(self, out: str | None) -> None:
        lines = (json.dumps(head) + "\n" for head in chain_heads())
        if out is None:
            for line in lines:
                self.stdout.write(line, ending="")
            return
        count = 0
        with Path(out).open("w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line)
                count += 1
        self.stderr.write(f"wrote {count} chain heads to {out}")

    def _verify(self, heads_file: str | None, as_json: bool) -> None:
        anchored: list[dict[str, Any]] = []
        if heads_file is not None:
            anchored = _read_heads(heads_file)
        report = audit_verify()
        broken = report.broken
        if anchored:
            seen = {b.chain for b in broken}
            broken = broken + [b for b in verify_heads(anchored) if b.chain not in seen]
        summary = {
            "events": report.events,
            "case_chains": report.case_chains,
            "request_chains": report.request_chains,
            "anchored_heads": len(anchored),
            "broken_chains": len(broken),
        }
        if as_json:
            for link in broken:
                self.stdout.write(json.dumps(link.to_json()))
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"Checked {report.events} events in {report.case_chains} case chains and "
                f"{report.request_chains} request chains"
                + (f", against {len(anchored)} anchored heads." if anchored else ".")
            )
            if broken:
                self.stdout.write(f"{len(broken)} broken chain(s); the first broken link of each:")
                for link in broken:
                    self.stdout.write(f"  {link}")
            else:
                self.stdout.write("Every chain is intact.")
        if broken:
            raise CommandError(f"{len(broken)} broken chain(s)", returncode=1)


def _read_heads(path: str) -> list[dict[str, Any]]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from None
    heads: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            head = json.loads(line)
            if not isinstance(head, dict):
                raise ValueError("not an object")
            int(str(head["chain"]).rpartition(" ")[2])
            int(head["seq"])
            str(head["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"{path}:{number}: not a chain head ({exc})", returncode=2) from None
        heads.append(head)
    return heads
