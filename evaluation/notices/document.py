"""A notice rendered: the printable page, the PDF (WeasyPrint with Noto Sans CJK) and the XLSX, each in full or as
the public version for the city's website (no case numbers, no identities, no panel's reasons). One template and
one chart code path serve the page, the printout and the PDF."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from openpyxl import Workbook

from evaluation.assessments.results import READINGS
from evaluation.charts import interval_chart, trend_chart
from evaluation.labels import label
from evaluation.pdf import render_pdf
from evaluation.tabular import append_row

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "notice.css"
CHART_ROWS = 40


def charts(doc: dict[str, Any]) -> dict[str, Markup]:
    out: dict[str, Markup] = {}
    ranked = [r for r in doc["ranking"] if r["rank"] is not None][:CHART_ROWS]
    if ranked:
        out["ranking"] = Markup(  # noqa: S704 - our own SVG
            interval_chart(
                [f"{r['name']} ({r['rank_range'][0]}–{r['rank_range'][1]})" for r in ranked],
                [r["adjusted"] for r in ranked],
                [tuple(r["ci"]) if r["ci"] else None for r in ranked],
                title=_("Severity-adjusted score with its 95 percent interval"),
                xlabel=_("Severity-adjusted score"),
            )
        )
    if doc["months"]:
        out["months"] = Markup(  # noqa: S704 - our own SVG
            trend_chart(
                [m["month"] for m in doc["months"]],
                {_("City"): [m["mean"] for m in doc["months"]]},
                title=_("Mean severity-adjusted score by month"),
                ylabel=_("Severity-adjusted score"),
            )
        )
    return out


def number_text(doc: dict[str, Any]) -> str | None:
    number = doc.get("number")
    return _("%(year)d, No. %(n)d", year=number["year"], n=number["number"]) if number else None


def html(
    doc: dict[str, Any], *, public: bool = False, for_pdf: bool = False, standalone: bool = False
) -> str:
    """The printable document: served beside our stylesheet, or ``standalone`` (a file) with it inside."""
    return render_template(
        "evaluation/notices/document.html",
        doc=doc,
        public=public,
        for_pdf=for_pdf,
        charts=charts(doc),
        number=number_text(doc),
        readings=READINGS,
        css=Markup(STYLESHEET.read_text()) if standalone else None,  # noqa: S704 - our own stylesheet
        lang="zh-CN" if str(get_locale()) == "zh_CN" else "en",
    )


def pdf(doc: dict[str, Any], *, public: bool = False) -> bytes:
    return render_pdf(html(doc, public=public, for_pdf=True), STYLESHEET)


def xlsx(doc: dict[str, Any], *, public: bool = False) -> bytes:
    workbook = Workbook()
    ranking = workbook.active
    assert ranking is not None
    ranking.title = _("Ranking")[:31]
    append_row(
        ranking,
        [_("Rank"), _("Rank range"), _("Department code"), _("Department"), _("Cases"), _("Mean score"),
         _("Severity-adjusted"), _("Interval (95 percent), low"), _("Interval (95 percent), high"), _("Upheld rate")],
    )  # fmt: skip
    for r in doc["ranking"]:
        best_worst = f"{r['rank_range'][0]}–{r['rank_range'][1]}" if r["rank_range"] else ""
        low, high = r["ci"] if r["ci"] else (None, None)
        append_row(
            ranking,
            [r["rank"], best_worst, r["department"], r["name"], r["cases"], r["score"], r["adjusted"], low, high,
             r["upheld_rate"]],
        )  # fmt: skip
    months = workbook.create_sheet(_("By month")[:31])
    append_row(months, [_("Month"), _("Cases"), _("Severity-adjusted"), _("Upheld rate")])
    for m in doc["months"]:
        append_row(months, [m["month"], m["cases"], m["mean"], m["upheld_rate"]])
    agreement = workbook.create_sheet(_("Agreement")[:31])
    append_row(agreement, [_("Batch"), _("Published"), "α", _("Reading")])
    for a in doc["agreement"]:
        append_row(agreement, [a["batch"], a["published"], a["alpha"], a["reading"] or ""])
    typical = workbook.create_sheet(_("Typical cases")[:31])
    append_row(typical, ([] if public else [_("Case number")]) + [_("Department"), _("Title"), _("Verdict")])
    for t in doc["typical"]:
        title = t["title_public"] if public else t["title"]
        append_row(typical, ([] if public else [t["case"]]) + [t["department"], title, label(t["verdict"])])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
