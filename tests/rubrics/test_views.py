"""The rubric builder, through the client."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.extensions import db
from rubrics.models import Criterion, Rubric, RubricVersion, VersionState
from rubrics.operations import export_version, import_version, load_template
from tests.conftest import make_user


@pytest.fixture
def organizer(client, auth):
    make_user("org", Role.ORGANIZER)
    auth.login("org")
    return client


def _create(client, code="std-2027", start="template") -> RubricVersion:
    response = client.post(
        "/rubrics/new",
        data={"code": code, "name_zh": "评议标准2027", "name_en": "Standard 2027", "start": start},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(sa.select(RubricVersion).join(Rubric).where(Rubric.code == code))


def _criterion_form(**overrides) -> dict:
    data = {
        "code": "P9",
        "dimension": "procedure",
        "role": "score",
        "title_zh": "办理态度",
        "title_en": "Attitude",
        "description_zh": "",
        "description_en": "",
        "weight": "0",
        "required": "y",
        "comment_required_at_or_below": "",
        "scale_type": "ordinal",
        "range_min": "",
        "range_max": "",
        "range_step": "",
        "levels-0-value": "0",
        "levels-0-label_zh": "差",
        "levels-0-label_en": "Poor",
        "levels-0-descriptor_zh": "态度恶劣",
        "levels-0-descriptor_en": "Rude",
        "levels-1-value": "1",
        "levels-1-label_zh": "好",
        "levels-1-label_en": "Good",
        "levels-1-descriptor_zh": "态度良好",
        "levels-1-descriptor_en": "Courteous",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_only_organizers_reach_the_builder(client, auth) -> None:
    version = import_version(load_template(), publish=True)
    db.session.commit()
    make_user("m", Role.MEMBER)
    auth.login("m")
    for url in (
        "/rubrics/",
        "/rubrics/new",
        f"/rubrics/versions/{version.id}",
        f"/rubrics/versions/{version.id}/preview",
        f"/rubrics/versions/{version.id}/export.json",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/rubrics/versions/{version.id}/retire").status_code == 403


def test_create_from_the_template_and_see_it_is_complete(organizer) -> None:
    version = _create(organizer)
    assert version.state == VersionState.DRAFT and len(version.criteria) == 15
    page = organizer.get(f"/rubrics/versions/{version.id}").get_data(as_text=True)
    assert "签收及时" in page and "可以发布" in page


def test_a_duplicate_code_is_marked_on_the_form(organizer) -> None:
    _create(organizer)
    response = organizer.post(
        "/rubrics/new", data={"code": "std-2027", "name_zh": "x", "name_en": "x", "start": "blank"}
    )
    assert response.status_code == 400
    assert "已存在" in response.get_data(as_text=True)


def test_build_a_rubric_from_blank(organizer) -> None:
    version = _create(organizer, start="blank")
    page = organizer.get(f"/rubrics/versions/{version.id}").get_data(as_text=True)
    assert "须为非空列表" in page  # the same messages as the import, translated
    response = organizer.post(
        f"/rubrics/versions/{version.id}/criteria/new", data=_criterion_form(weight="100")
    )
    assert response.status_code == 302
    page = organizer.get(f"/rubrics/versions/{version.id}").get_data(as_text=True)
    assert "缺少角色为“verdict”" in page
    verdict = _criterion_form(
        code="V",
        role="verdict",
        dimension="other",
        title_zh="结论",
        title_en="Verdict",
        weight="0",
        scale_type="nominal",
        **{
            "options-0-value": "upheld",
            "options-0-label_zh": "成立",
            "options-0-label_en": "Upheld",
            "options-1-value": "partly_upheld",
            "options-1-label_zh": "部分成立",
            "options-1-label_en": "Partly upheld",
            "options-2-value": "not_upheld",
            "options-2-label_zh": "不成立",
            "options-2-label_en": "Not upheld",
        },
    )
    response = organizer.post(f"/rubrics/versions/{version.id}/criteria/new", data=verdict)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    spec = export_version(db.session.get(RubricVersion, version.id))
    assert [c["code"] for c in spec["criteria"]] == ["P9", "V"]
    assert spec["criteria"][0]["scale"]["levels"][1] == {
        "value": 1,
        "label": {"zh": "好", "en": "Good"},
        "descriptor": {"zh": "态度良好", "en": "Courteous"},
    }
    assert organizer.get(f"/rubrics/versions/{version.id}/validate").get_json()["problems"] == []
    response = organizer.post(f"/rubrics/versions/{version.id}/publish")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RubricVersion, version.id).state == VersionState.PUBLISHED


def test_an_invalid_criterion_is_refused_with_the_import_messages(organizer) -> None:
    version = _create(organizer)
    before = export_version(version)
    response = organizer.post(
        f"/rubrics/versions/{version.id}/criteria/new",
        data=_criterion_form(code="P1", **{"levels-1-value": "0"}),
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "与 criteria[0] 的编码重复" in text
    assert "与 levels[0] 的分值重复" in text
    assert "指标 16" in text  # where, in words
    db.session.expire_all()
    assert export_version(db.session.get(RubricVersion, version.id)) == before


def test_edit_move_and_remove_criteria(organizer) -> None:
    version = _create(organizer)
    first, second = version.criteria[0], version.criteria[1]
    response = organizer.post(
        f"/rubrics/versions/{version.id}/criteria/{first.id}",
        data=_criterion_form(
            code="P1", title_zh="签收及时（修订）", weight="6", comment_required_at_or_below="0"
        ),
    )
    assert response.status_code == 302
    organizer.post(f"/rubrics/versions/{version.id}/criteria/{first.id}/move", data={"direction": "down"})
    db.session.expire_all()
    codes = [c.code for c in db.session.get(RubricVersion, version.id).criteria]
    assert codes[:2] == ["P2", "P1"]
    assert db.session.get(Criterion, first.id).title_zh == "签收及时（修订）"
    organizer.post(f"/rubrics/versions/{version.id}/criteria/{second.id}/remove")
    db.session.expire_all()
    version = db.session.get(RubricVersion, version.id)
    assert "P2" not in [c.code for c in version.criteria]
    assert [c.position for c in version.criteria] == list(range(len(version.criteria)))
    page = organizer.get(f"/rubrics/versions/{version.id}/publish").get_data(as_text=True)
    assert "合计为 92" in page  # weights no longer sum to 100: publishing is refused with the reason
    assert organizer.post(f"/rubrics/versions/{version.id}/publish").status_code == 400


def test_settings(organizer) -> None:
    version = _create(organizer)
    response = organizer.post(
        f"/rubrics/versions/{version.id}/settings",
        data={
            "name_zh": "新名称",
            "name_en": "New name",
            "aggregation": "weighted_mean",
            "outlier_threshold": "abc",
        },
    )
    assert response.status_code == 400
    response = organizer.post(
        f"/rubrics/versions/{version.id}/settings",
        data={
            "name_zh": "新名称",
            "name_en": "New name",
            "aggregation": "weighted_mean",
            "outlier_threshold": "2.5",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    version = db.session.get(RubricVersion, version.id)
    assert (version.name_zh, version.aggregation.value, version.outlier_threshold) == (
        "新名称",
        "weighted_mean",
        2.5,
    )


def test_publish_asks_for_confirmation_and_then_freezes(organizer) -> None:
    version = _create(organizer)
    page = organizer.get(f"/rubrics/versions/{version.id}/publish").get_data(as_text=True)
    assert "发布后" in page or "冻结" in page
    assert db.session.get(RubricVersion, version.id).state == VersionState.DRAFT
    organizer.post(f"/rubrics/versions/{version.id}/publish")
    db.session.expire_all()
    assert db.session.get(RubricVersion, version.id).state == VersionState.PUBLISHED


def test_a_published_version_cannot_be_altered_through_the_builder(organizer) -> None:
    version = import_version(load_template(), publish=True)
    db.session.commit()
    before = export_version(version)
    criterion = version.criteria[0]
    for url, data in (
        (f"/rubrics/versions/{version.id}/criteria/{criterion.id}", _criterion_form(code="P1", weight="50")),
        (f"/rubrics/versions/{version.id}/criteria/new", _criterion_form()),
        (f"/rubrics/versions/{version.id}/criteria/{criterion.id}/remove", {}),
        (f"/rubrics/versions/{version.id}/criteria/{criterion.id}/move", {"direction": "down"}),
        (
            f"/rubrics/versions/{version.id}/settings",
            {"name_zh": "x", "name_en": "x", "aggregation": "weighted_mean", "outlier_threshold": "1"},
        ),
        (f"/rubrics/versions/{version.id}/delete", {}),
    ):
        response = organizer.post(url, data=data, follow_redirects=True)
        assert "已发布，不能修改" in response.get_data(as_text=True), url
    db.session.expire_all()
    assert export_version(db.session.get(RubricVersion, version.id)) == before


def test_new_draft_copy_and_retire(organizer) -> None:
    version = import_version(load_template(), publish=True)
    db.session.commit()
    response = organizer.post(f"/rubrics/versions/{version.id}/new-draft")
    draft = db.session.scalar(sa.select(RubricVersion).where(RubricVersion.number == 2))
    assert response.headers["Location"].endswith(f"/rubrics/versions/{draft.id}")
    response = organizer.post(
        f"/rubrics/versions/{version.id}/copy",
        data={"code": "district-std", "name_zh": "区级标准", "name_en": "District standard"},
    )
    assert response.status_code == 302
    copied = db.session.scalar(sa.select(Rubric).where(Rubric.code == "district-std"))
    assert copied.versions[0].state == VersionState.DRAFT and len(copied.versions[0].criteria) == 15
    organizer.post(f"/rubrics/versions/{version.id}/retire")
    db.session.expire_all()
    assert db.session.get(RubricVersion, version.id).state == VersionState.RETIRED
    listing = organizer.get("/rubrics/").get_data(as_text=True)
    assert "已停用" in listing and "district-std" in listing


def test_preview_shows_the_form_with_anchored_descriptors(organizer) -> None:
    version = import_version(load_template(), publish=True)
    db.session.commit()
    page = organizer.get(f"/rubrics/versions/{version.id}/preview").get_data(as_text=True)
    assert "当日即时签收并明确承办人。" in page  # the descriptor of P1's top level
    assert 'name="c-Q3"' in page and 'value="partly_upheld"' in page
    assert 'type="radio"' in page and "须填写说明" not in page  # nothing validated in a preview
    english = organizer.get(f"/rubrics/versions/{version.id}/preview", headers={"Accept-Language": "en"})
    assert "Signed the same day with a named handler." in english.get_data(as_text=True)


def test_export_and_import_through_the_page(organizer) -> None:
    version = import_version(load_template(), publish=True)
    db.session.commit()
    exported = organizer.get(f"/rubrics/versions/{version.id}/export.json")
    assert exported.headers["Content-Disposition"].endswith('"unsatisfied-case-standard-v1.json"')
    assert json.loads(exported.get_data(as_text=True)) == load_template()
    bad = load_template()
    bad["criteria"][0]["weight"] = 1
    response = organizer.post(
        "/rubrics/import",
        data={"file": (io.BytesIO(json.dumps(bad).encode()), "bad.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "计分指标权重合计为 95" in response.get_data(as_text=True)
    response = organizer.post(
        "/rubrics/import",
        data={"file": (io.BytesIO(exported.get_data()), "std.json"), "publish": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RubricVersion)) == 2


def test_validate_endpoint(organizer) -> None:
    version = _create(organizer, start="blank")
    result = organizer.get(f"/rubrics/versions/{version.id}/validate").get_json()
    assert result["valid"] is False and result["problems"][0]["path"] == "criteria"


def test_the_criterion_form_speaks_the_users_language(organizer) -> None:
    version = _create(organizer)
    page = organizer.get(f"/rubrics/versions/{version.id}/criteria/new").get_data(as_text=True)
    assert '<option value="procedure">程序</option>' in page and "评议结论" in page
    english = organizer.get(f"/rubrics/versions/{version.id}/criteria/new", headers={"Accept-Language": "en"})
    assert '<option value="procedure">Procedure</option>' in english.get_data(as_text=True)
