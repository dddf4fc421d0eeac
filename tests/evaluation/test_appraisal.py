"""Appraisal points (绩效考核): weights and caps the organizer sets on named inputs, the formula shown, exact
decimals, and an export with every input beside its points."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from evaluation.appraisal.scoring import lines, points
from evaluation.results import standings as st
from tests.evaluation.test_standings import PERIOD, city  # noqa: F401 - the fixture


def test_points_are_weight_times_value_held_within_the_cap() -> None:
    assert points(Decimal("86.5"), Decimal("0.6"), Decimal("60")) == Decimal("51.90")
    assert points(Decimal("0.75"), Decimal("-20"), Decimal("10")) == Decimal("-10.00")  # held at the cap
    assert points(Decimal("3"), Decimal("2"), None) == Decimal("6.00")
    assert points(None, Decimal("10"), Decimal("10")) == Decimal("0.00")


def test_each_department_gets_its_inputs_and_points(city) -> None:  # noqa: F811
    found = {line.department: line for line in lines(PERIOD)}
    housing = found["CD-ZJ"]
    assert housing.values["adjusted_score"] == Decimal("86.00") and housing.values["upheld_rate"] == Decimal(
        "1"
    )
    assert housing.points["adjusted_score"] == Decimal("51.60") and housing.points["upheld_rate"] == Decimal(
        "-20.00"
    )
    assert housing.values["rectifications_on_time"] is None and housing.total == Decimal("31.60")
    assert found["T-510107-02"].points["upheld_rate"] == Decimal("0.00")  # not upheld: nothing deducted


def test_the_organizer_sets_weights_and_exports_every_input_beside_its_points(city, client, auth) -> None:  # noqa: F811
    auth.login("office")
    page = client.get("/appraisal/?from=2026-06-01&to=2026-11-30").get_data(as_text=True)
    assert "权重" in page and "成都市住房和城乡建设局" in page and "31.60" in page
    bad = client.post(
        "/appraisal/weights",
        data={"adjusted_score-weight": "lots", "upheld_rate-weight": "-20", "appeals_upheld-weight": "0",
              "rectifications_on_time-weight": "10"},
    )  # fmt: skip
    assert bad.status_code == 302
    assert "不是数字" in client.get(bad.location).get_data(as_text=True)
    done = client.post(
        "/appraisal/weights?from=2026-06-01&to=2026-11-30",
        data={"adjusted_score-weight": "1", "adjusted_score-cap": "", "upheld_rate-weight": "-20",
              "upheld_rate-cap": "20", "appeals_upheld-weight": "0", "rectifications_on_time-weight": "10",
              "rectifications_on_time-cap": "10"},
    )  # fmt: skip
    assert done.status_code == 302 and "from=2026-06-01" in done.location
    housing = next(
        line
        for line in lines(st.Period.parse("2026-06-01", "2026-11-30", PERIOD.end))
        if line.department == "CD-ZJ"
    )
    assert housing.points["adjusted_score"] == Decimal("86.00")
    xlsx = client.get("/appraisal/export.xlsx?from=2026-06-01&to=2026-11-30")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "单位代码" and header[-1] == "总分"
    assert len(header) == 3 + 2 * 4 + 1 and len(rows) == 1 + 5
    csv = client.get("/appraisal/export.csv?from=2026-06-01&to=2026-11-30").data.decode("utf-8-sig")
    assert "CD-ZJ" in csv and "86.00" in csv
