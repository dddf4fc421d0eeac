"""The evaluation report (评审报告): the panel, every expert's score of every valid bid, the comments given with
them, the results by the comprehensive method, the agreement figures and each expert's confirmation. One
template serves the page and the PDF (WeasyPrint with Noto Sans CJK, the notices' stylesheet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import render_template
from flask_babel import get_locale

from procurement.evaluation import report
from procurement.models import PurchaseProject
from procurement.projects import low_flags

STYLESHEET = Path(__file__).resolve().parent.parent / "evaluation" / "static" / "css" / "notice.css"


def context(project: PurchaseProject) -> dict[str, Any]:
    found = report(project)
    ordered = sorted(
        found.bids, key=lambda b: (found.results[b.id].rank if b.id in found.results else 10**6, b.id)
    )
    return {
        "r": found,
        "ordered": ordered,
        "invalid": [b for b in project.bids if b not in found.bids],
        "low": low_flags(project),
    }


def pdf(project: PurchaseProject) -> bytes:
    from evaluation.pdf import render_pdf

    html = render_template(
        "procurement/report_document.html",
        project=project,
        lang="zh-CN" if str(get_locale()) == "zh_CN" else "en",
        **context(project),
    )
    return render_pdf(html, STYLESHEET)
