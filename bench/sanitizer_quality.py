"""Precision and recall of the customer-data scanner on the labelled corpus (issue 4 item 5).

    .venv/bin/python bench/sanitizer_quality.py             # the table
    .venv/bin/python bench/sanitizer_quality.py --errors    # plus every missed or extra finding
    .venv/bin/python bench/sanitizer_quality.py --check     # exit 1 below the targets

The corpus (tests/data/sanitize/corpus.jsonl) holds hand-written lines of contact-centre logs
(SIP traces, T-Server/URS/GVP/OCS logs, Java, nginx, JSON logs and configuration files), each
labelled with the findings it must produce: type and exact substring. Each record is scanned on
its own with its ``regions`` and the patterns of corpus_patterns.json. A finding counts as a true
positive only when type and exact text agree with a label (a multiset match per line), so a
finding with the right type but a wrong span is both a false positive and a false negative.
Records whose id starts with ``heldout-`` were written after the rules were settled and are also
reported on their own.

Targets: recall >= 0.99 and precision >= 0.95 overall. Not a timing: the figure is the same on
any machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from caredesk.domain.sanitize import Pattern, Scanner  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "sanitize" / "corpus.jsonl"
PATTERNS = ROOT / "tests" / "data" / "sanitize" / "corpus_patterns.json"
TARGET_RECALL = 0.99
TARGET_PRECISION = 0.95


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    records: int = 0
    clean_records: int = 0
    labels: int = 0
    per_type: dict[str, Tally] = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)
    per_part: dict[str, Tally] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def tally(self, kind: str) -> Tally:
        return self.per_type.setdefault(kind, Tally())

    @property
    def meets_targets(self) -> bool:
        return self.overall.recall >= TARGET_RECALL and self.overall.precision >= TARGET_PRECISION


def load_patterns(path: Path = PATTERNS) -> tuple[Pattern, ...]:
    return tuple(Pattern(p["name"], p["regex"]) for p in json.loads(path.read_text(encoding="utf-8")))


def evaluate(corpus: Path = CORPUS, patterns_path: Path = PATTERNS) -> Report:
    patterns = load_patterns(patterns_path)
    scanners: dict[tuple[str, ...], Scanner] = {}
    report = Report()
    for raw in corpus.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        record = json.loads(raw)
        regions = tuple(record.get("regions", ["US"]))
        scanner = scanners.setdefault(regions, Scanner(patterns=patterns, regions=regions))
        text: str = record["text"]
        expected = Counter((f["type"], f["text"]) for f in record["findings"])
        found = Counter((f.type, text[f.start : f.end]) for f in scanner.scan(text))
        part = report.per_part.setdefault("held-out" if record["id"].startswith("heldout-") else "development", Tally())
        report.records += 1
        report.clean_records += not expected
        report.labels += sum(expected.values())
        for key, n in (expected & found).items():
            report.tally(key[0]).tp += n
            report.overall.tp += n
            part.tp += n
        for key, n in (found - expected).items():
            report.tally(key[0]).fp += n
            report.overall.fp += n
            part.fp += n
            report.errors.append(f"FP {record['id']}: {key[0]} {key[1]!r}  in  {text.strip()[:160]}")
        for key, n in (expected - found).items():
            report.tally(key[0]).fn += n
            report.overall.fn += n
            part.fn += n
            report.errors.append(f"FN {record['id']}: {key[0]} {key[1]!r}  in  {text.strip()[:160]}")
    return report


def format_report(report: Report) -> str:
    lines = [
        f"corpus: {report.records} lines ({report.clean_records} without customer data), "
        f"{report.labels} labelled findings",
        f"{'type':<16}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>9}",
    ]
    for kind in sorted(report.per_type):
        t = report.per_type[kind]
        lines.append(f"{kind:<16}{t.tp:>6}{t.fp:>6}{t.fn:>6}{t.precision:>11.3f}{t.recall:>9.3f}")
    o = report.overall
    lines.append(f"{'overall':<16}{o.tp:>6}{o.fp:>6}{o.fn:>6}{o.precision:>11.3f}{o.recall:>9.3f}")
    for name in sorted(report.per_part):
        t = report.per_part[name]
        lines.append(f"  {name:<14}{t.tp:>6}{t.fp:>6}{t.fn:>6}{t.precision:>11.3f}{t.recall:>9.3f}")
    verdict = "meets" if report.meets_targets else "MISSES"
    lines.append(f"{verdict} the targets (recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", action="store_true", help="list every false positive and negative")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    report = evaluate(args.corpus)
    print(format_report(report))
    if args.errors:
        print("\n".join(report.errors) or "no errors")
    return 1 if args.check and not report.meets_targets else 0


if __name__ == "__main__":
    sys.exit(main())
