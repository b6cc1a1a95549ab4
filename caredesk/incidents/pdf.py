"""The Incident Report as a PDF (fpdf2), for the reseller to download.

The built-in Helvetica font keeps the file small and its text extractable; it covers Latin-1, so
typographic punctuation is mapped to its ASCII look-alike and anything else outside Latin-1 is
shown as "?" (a Unicode font would need a font file shipped with caredesk)."""

from __future__ import annotations

from datetime import datetime

from fpdf import FPDF

from caredesk.incidents.models import IncidentReport

_ASCII = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "*",
        "\u00a0": " ",
        "\u2192": "->",
    }
)
_SECTIONS = (
    ("Summary", "summary"),
    ("Timeline", "timeline"),
    ("Root cause", "root_cause"),
    ("Steps to address the root causes", "remediation"),
)


def _latin1(text: str) -> str:
    return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def incident_report_pdf(*, report: IncidentReport) -> bytes:
    case = report.case
    pm = report.post_mortem
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Incident Report - case {case.pk}"))
    pdf.set_creator("caredesk")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Incident Report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    facts = [
        ("Case", _latin1(f"#{case.pk} {case.title}")),
        ("Severity at resolution", str(pm.severity)),
        ("Service Resolution", _when(pm.resolved_at)),
        ("Post-mortem meeting", _when(pm.held_at)),
        ("Requested", _when(report.requested_at)),
        ("Published", _when(report.published_at)),
    ]
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(50, 6, label)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    for heading, part in _SECTIONS:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, _latin1(getattr(report, part) or "-"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
