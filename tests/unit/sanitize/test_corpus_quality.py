"""Issue 4 item 5 quality gate: on the labelled corpus of contact-centre log lines the shipped
detectors reach recall >= 0.99 and precision >= 0.95 (bench/sanitizer_quality.py prints the table).

A quality gate, not a timing: the figures are the same on every machine.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "data" / "sanitize" / "corpus.jsonl"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sanitizer_quality", ROOT / "bench" / "sanitizer_quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_corpus_is_large_varied_and_labelled_with_exact_substrings() -> None:
    records = [json.loads(raw) for raw in CORPUS.read_text(encoding="utf-8").splitlines() if raw.strip()]
    assert len(records) >= 250
    assert len({r["id"] for r in records}) == len(records)
    assert sum(1 for r in records if not r["findings"]) >= 100  # near-misses and clean lines
    assert len({r["source"] for r in records}) >= 8
    for record in records:
        for finding in record["findings"]:
            assert finding["text"] in record["text"], record["id"]


def test_the_shipped_detectors_meet_the_recall_and_precision_targets() -> None:
    bench = _bench()
    report = bench.evaluate(CORPUS)
    assert report.overall.recall >= 0.99, bench.format_report(report)
    assert report.overall.precision >= 0.95, bench.format_report(report)
    for kind, tally in report.per_type.items():
        assert tally.recall >= 0.95 and tally.precision >= 0.90, (kind, bench.format_report(report))
