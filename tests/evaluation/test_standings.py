"""Rankings and the department's dashboard over published results: each case counted once by its current version;
the organizer's ranking page, its chart and `results ranking --json` agree; a department sees its own unit and
those under it, never a sibling's or a parent's — also after a unit is moved under another parent."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.assessments.models import Assessment, Verdict
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.extensions import db
from evaluation.org.models import Department, DepartmentKind, Region, RegionLevel
from evaluation.results import standings as st
from rubrics.models import RubricVersion
from tests import factories
from tests.conftest import make_user

WHEN = datetime(2026, 9, 10, 2, 0, tzinfo=UTC)
PERIOD = st.Period.parse("2026-06-01", "2026-11-30", WHEN.date())


def _published(
    unit: Department, totals: list[float], verdict: Verdict = Verdict.UPHELD, prefix: str = ""
) -> None:
    """Cases of ``unit`` published at WHEN with these totals (a finalized batch's assessments, made directly)."""
    version = db.session.scalar(sa.select(RubricVersion.id).limit(1))
    batch = Batch(name=f"批次-{unit.code}{prefix}", rubric_version_id=version, state=BatchState.PUBLISHED)
    cases = factories.cases(len(totals), unit, prefix=f"{unit.code}{prefix}")
    for case, total in zip(cases, totals, strict=True):
        item = BatchItem(batch=batch, case=case)
        db.session.add(
            Assessment(
                case=case,
                batch_item=item,
                department=unit,
                verdict=verdict,
                total=total,
                adjusted_total=total + 1,
                criteria={"P1": {"mean": total / 25, "n": 5}},
                published_dt=WHEN,
                published_seq=None,
            )
        )
    db.session.add(batch)
    db.session.flush()


@pytest.fixture
def city(app_ctx):
    """Two districts with their streets and a bureau, each with published results; a second district's street."""
    factories.published_rubric()
    housing = factories.department("CD-ZJ", "成都市住房和城乡建设局")
    wuhou = factories.department("D-510107", "武侯区人民政府", DepartmentKind.DISTRICT)
    yulin = factories.department("T-510107-01", "玉林街道办事处", DepartmentKind.TOWNSHIP, parent=wuhou)
    jiangxi = factories.department("T-510107-02", "浆洗街街道办事处", DepartmentKind.TOWNSHIP, parent=wuhou)
    jinjiang = factories.department("D-510104", "锦江区人民政府", DepartmentKind.DISTRICT)
    chunxi = factories.department("T-510104-01", "春熙路街道办事处", DepartmentKind.TOWNSHIP, parent=jinjiang)
    for unit, region in (
        (housing, "510100"),
        (wuhou, "510107"),
        (yulin, "510107001"),
        (jiangxi, "510107002"),
    ):
        unit.region_code = region
    jinjiang.region_code, chunxi.region_code = "510104", "510104001"
    db.session.add_all(
        [
            Region(code="510107", name="武侯区", level=RegionLevel.DISTRICT),
            Region(code="510104", name="锦江区", level=RegionLevel.DISTRICT),
        ]
    )
    _published(housing, [80, 82, 84, 86, 88, 90])
    _published(wuhou, [60, 62, 64, 66, 68])
    _published(yulin, [70, 71, 72, 73, 74, 75])
    _published(jiangxi, [50, 52], Verdict.NOT_UPHELD)
    _published(chunxi, [40, 42, 44, 46, 48])
    make_user("wuhou", Role.DEPARTMENT, department=wuhou)
    make_user("yulin", Role.DEPARTMENT, department=yulin)
    make_user("jinjiang", Role.DEPARTMENT, department=jinjiang)
    make_user("office", Role.ORGANIZER)
    db.session.commit()
    return {"housing": housing, "wuhou": wuhou, "yulin": yulin, "jiangxi": jiangxi, "chunxi": chunxi}


def test_the_ranking_orders_departments_and_marks_those_with_too_few_cases(city) -> None:
    rows = st.ranking(st.current(PERIOD))
    assert [r.department for r in rows] == ["CD-ZJ", "T-510107-01", "D-510107", "T-510104-01", "T-510107-02"]
    assert [r.standing.rank for r in rows] == [1, 2, 3, 4, None]
    assert rows[-1].standing.rank_range is None and rows[-1].upheld_rate == 0.0
    assert rows[0].as_json()["adjusted"] == 86.0 and rows[0].as_json()["score"] == 85.0


def test_a_corrected_case_counts_once_by_its_current_version(city) -> None:
    first = db.session.scalar(sa.select(Assessment).where(Assessment.department_id == city["housing"].id))
    db.session.add(
        Assessment(
            case_id=first.case_id,
            batch_item_id=first.batch_item_id,
            department_id=first.department_id,
            version=2,
            supersedes_id=first.id,
            verdict=Verdict.NOT_UPHELD,
            total=20.0,
            published_dt=datetime(2026, 10, 1, tzinfo=UTC),
        )
    )
    db.session.commit()
    housing = [r for r in st.current(PERIOD) if r.department_id == city["housing"].id]
    assert len(housing) == 6 and sorted(r.total for r in housing)[0] == 20.0
    assert sum(r.verdict == Verdict.NOT_UPHELD for r in housing) == 1


def test_the_organizer_reads_the_ranking_with_its_chart(city, client, auth, count_queries) -> None:
    auth.login("office")
    url = "/standings/ranking?from=2026-06-01&to=2026-11-30"
    page = client.get(url).get_data(as_text=True)
    assert "<svg" in page and "成都市住房和城乡建设局" in page and "第 1 名" in page
    assert (
        "案件太少，不排名" in page and "<title>" in page and ">3.40<" in page
    )  # 成都市住建局's P1 in the heat map
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    assert queries["n"] <= 12
    district = client.get(url + "&district=510107")
    assert district.status_code == 200
    assert "成都市住房和城乡建设局" not in district.get_data(as_text=True)  # its region is not within 武侯区
    assert "玉林街道办事处" in district.get_data(as_text=True)
    bad = client.get("/standings/ranking?from=2026-12-01&to=2026-06-01")
    assert bad.status_code == 400 and "结束早于开始" in bad.get_data(as_text=True)
    unreadable = client.get("/standings/ranking?from=yesterday")
    assert unreadable.status_code == 400 and 'id="from-error"' in unreadable.get_data(as_text=True)
    for far in (
        "from=0001-01-01",
        "to=9999-12-31",
    ):  # beyond what a date can be shifted to UTC: refused, no 500
        answer = client.get(f"/standings/ranking?{far}")
        assert answer.status_code == 400 and "2000-01-01 至 2099-12-31" in answer.get_data(as_text=True)


def test_the_command_prints_the_numbers_the_page_shows(city, runner) -> None:
    out = runner.invoke(args=["results", "ranking", "--from", "2026-06-01", "--to", "2026-11-30", "--json"])
    assert out.exit_code == 0
    rows = json.loads(out.output)
    assert [r["department"] for r in rows] == [r.department for r in st.ranking(st.current(PERIOD))]
    assert set(rows[0]) == {
        "department",
        "name",
        "cases",
        "score",
        "adjusted",
        "ci",
        "rank",
        "rank_range",
        "upheld_rate",
    }
    assert rows[0]["name"] == "成都市住房和城乡建设局" and rows[0]["rank"] == 1 and len(rows[0]["ci"]) == 2
    bad = runner.invoke(args=["results", "ranking", "--from", "June", "--to", "2026-11-30", "--json"])
    assert bad.exit_code != 0 and "Not a date" in bad.output and "Traceback" not in bad.output


def test_a_district_sees_itself_and_its_streets_never_a_sibling_or_a_parent(city, client, auth) -> None:
    auth.login("wuhou")
    page = client.get("/results/?from=2026-06-01&to=2026-11-30").get_data(as_text=True)
    assert "玉林街道办事处" in page and "浆洗街街道办事处" in page and "武侯区人民政府" in page
    assert "春熙路街道办事处" not in page and "锦江区人民政府" not in page and "住房和城乡建设局" not in page
    assert "<svg" in page and "评议前 13 件；评议后 11 件" in page
    auth.logout()
    auth.login("yulin")
    street = client.get("/results/?from=2026-06-01&to=2026-11-30").get_data(as_text=True)
    assert "玉林街道办事处" in street and "浆洗街街道办事处" not in street and "武侯区人民政府" not in street
    assert (
        "签收及时" in street and "2.90" in street
    )  # its criterion mean, (70 + … + 75) / 25 / 6, beside the city's


def test_a_unit_moved_under_another_parent_leaves_the_first_ones_view(city, client, auth) -> None:
    city["yulin"].parent = db.session.get(Department, city["chunxi"].parent_id)  # now under 锦江区
    db.session.commit()
    auth.login("wuhou")
    assert "玉林街道办事处" not in client.get("/results/?from=2026-06-01&to=2026-11-30").get_data(
        as_text=True
    )
    auth.logout()
    auth.login("jinjiang")
    assert "玉林街道办事处" in client.get("/results/?from=2026-06-01&to=2026-11-30").get_data(as_text=True)


def test_no_parameter_reaches_another_units_numbers(city, client, auth) -> None:
    auth.login("yulin")
    for query in ("department=D-510104", "within=1", "district=510104", "kind=district"):
        page = client.get(f"/results/?from=2026-06-01&to=2026-11-30&{query}").get_data(as_text=True)
        assert "春熙路街道办事处" not in page and "武侯区人民政府" not in page
    assert client.get("/standings/ranking").status_code == 403


def _xlsx_rows(data: bytes) -> list[tuple]:
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    return list(sheet.iter_rows(values_only=True)), sheet


def test_the_organizer_exports_the_rankings_assessments_with_formulas_kept_as_text(
    city, client, auth
) -> None:
    city["housing"].name = '=HYPERLINK("http://example.com")住建局'
    db.session.commit()
    auth.login("office")
    xlsx = client.get("/standings/export.xlsx?from=2026-06-01&to=2026-11-30")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    rows, sheet = _xlsx_rows(xlsx.data)
    assert rows[0][0] == "工单编号" and len(rows) == 1 + 24
    header = list(rows[0])
    assert {"评议结论", "总分", "宽严校正后总分", "诉求合理性", "处理建议"} <= set(header)
    formula = next(c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"
    csv = client.get("/standings/export.csv?from=2026-06-01&to=2026-11-30&district=510107").data.decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK" not in csv and "玉林街道办事处" in csv and "春熙路" not in csv
    whole = client.get("/standings/export.csv?from=2026-06-01&to=2026-11-30").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in whole
    batch = db.session.scalar(sa.select(Batch.id).where(Batch.name == "批次-CD-ZJ"))
    one = client.get(f"/standings/export.csv?batch={batch}").data.decode("utf-8-sig")
    assert one.count("CD-ZJ") >= 6 and "玉林" not in one
    bad = client.get("/standings/export.csv?from=2026-12-01&to=2026-06-01")
    assert bad.status_code == 302 and "/standings/ranking?" in bad.location
    assert client.get("/standings/export.pdf").status_code == 404


def test_a_department_exports_only_its_own_units(city, client, auth) -> None:
    auth.login("yulin")
    csv = client.get("/results/export.csv?from=2026-06-01&to=2026-11-30").data.decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert len(lines) == 1 + 6 and all("玉林街道办事处" in line for line in lines[1:])
    assert client.get("/standings/export.csv").status_code == 403


def test_the_export_command_writes_the_same_table(city, runner, tmp_path) -> None:
    out = tmp_path / "a.xlsx"
    done = runner.invoke(args=["assessments", "export", "--format", "xlsx", "--out", str(out)])
    assert done.exit_code == 0 and "24 assessments" in done.output
    rows, _sheet = _xlsx_rows(out.read_bytes())
    assert len(rows) == 25
    bad = runner.invoke(
        args=["assessments", "export", "--format", "csv", "--out", str(tmp_path / "b.csv"), "--from", "soon"]
    )
    assert bad.exit_code != 0 and "Not a date" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(
        args=["assessments", "export", "--format", "csv", "--out", "x.csv", "--batch", "999"]
    )
    assert missing.exit_code != 0 and "no batch 999" in missing.output


def test_a_filter_that_names_nothing_is_refused_in_words(city, client, auth) -> None:
    auth.login("office")
    page = client.get("/standings/ranking?district=999999")
    assert page.status_code == 400 and "field-error" in page.get_data(as_text=True)
    assert "Not a valid choice" not in page.get_data(as_text=True)


def test_agreement_per_batch_and_members_workload(world, client, auth, count_queries) -> None:
    from tests.evaluation.test_results import _finalized

    _finalized(world)
    auth.login("organizer")
    page = client.get("/standings/panels?from=2026-01-01&to=2027-12-31")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and world.batch.name in text and "<svg" in text
    assert "群众代表甲" in text
    from evaluation.results import quality

    (load,) = [
        w
        for w in quality.workload(st.Period.parse("2026-01-01", "2027-12-31", WHEN.date()))
        if w.member == "群众代表甲"
    ]
    # Six seats, six sheets; the test closed the window a minute before its sheets came in: none on time.
    assert (load.seats, load.submitted, load.on_time) == (6, 6, 0) and load.median_hours is not None
    with count_queries() as queries:
        client.get("/standings/panels?from=2026-01-01&to=2027-12-31")
    assert queries["n"] <= 12


def _more_cases(city, n: int) -> None:
    """``n`` more published cases spread over the units, to see that the page's queries do not grow with them."""
    for unit in ("yulin", "jiangxi", "chunxi", "housing"):
        _published(city[unit], [60.0 + i for i in range(n)], prefix=f"-{n}")
    db.session.commit()


def test_the_pages_run_as_many_queries_with_more_data(city, client, auth, count_queries) -> None:
    pages = {
        "wuhou": ["/results/?from=2026-06-01&to=2026-11-30"],
        "office": [
            "/standings/ranking?from=2026-06-01&to=2026-11-30",
            "/appraisal/?from=2026-06-01&to=2026-11-30",
            "/standings/panels?from=2026-06-01&to=2026-11-30",
        ],
    }

    def counts() -> list[int]:
        found = []
        for user, urls in pages.items():
            auth.login(user)
            for url in urls:
                with count_queries() as queries:
                    assert client.get(url).status_code == 200
                found.append(queries["n"])
            auth.logout()
        return found

    before = counts()
    _more_cases(city, 30)
    assert counts() == before
    assert max(before) <= 20
    auth.login("wuhou")
    page = client.get("/results/?from=2026-06-01&to=2026-11-30").get_data(as_text=True)
    assert "处理建议" in page
