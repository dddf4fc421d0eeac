"""A published rubric version never changes: the model refuses it, whatever the caller."""

from __future__ import annotations

import pytest

from evaluation.extensions import db
from rubrics.models import Criterion, FrozenVersionError, RubricVersion, VersionState
from rubrics.operations import export_version, import_version, load_template, new_draft


@pytest.fixture
def published(app_ctx) -> RubricVersion:
    version = import_version(load_template(), publish=True)
    db.session.commit()
    return version


@pytest.mark.parametrize(
    "change",
    [
        lambda v: setattr(v, "name_zh", "改名"),
        lambda v: setattr(v, "outlier_threshold", 3.0),
        lambda v: setattr(v.criteria[0], "weight", 7),
        lambda v: setattr(v.criteria[0], "scale", {"type": "boolean"}),
        lambda v: db.session.delete(v.criteria[0]),
        lambda v: v.criteria.append(
            Criterion(position=99, code="Z", title_zh="z", title_en="z", scale={"type": "boolean"})
        ),
        lambda v: setattr(v, "state", VersionState.DRAFT),
        lambda v: db.session.delete(v),
    ],
)
def test_published_versions_refuse_every_change(published, change) -> None:
    before = export_version(published)
    change(published)
    with pytest.raises(FrozenVersionError):
        db.session.commit()
    db.session.rollback()
    db.session.expire_all()
    assert export_version(db.session.get(RubricVersion, published.id)) == before


def test_a_published_version_can_be_retired_once(published) -> None:
    published.state = VersionState.RETIRED
    db.session.commit()
    published.state = VersionState.PUBLISHED
    with pytest.raises(FrozenVersionError):
        db.session.commit()


def test_editing_a_published_version_makes_the_next_draft(published) -> None:
    draft = new_draft(published)
    db.session.commit()
    assert (draft.number, draft.state) == (2, VersionState.DRAFT)
    assert export_version(draft) == export_version(published)
    draft.criteria[0].weight = 7
    db.session.commit()  # drafts change freely


def test_importing_again_creates_a_new_version_never_alters_the_old(published) -> None:
    spec = load_template()
    spec["name"]["zh"] = "不满意件评议标准（2027版）"
    again = import_version(spec)
    db.session.commit()
    assert again.number == 2 and again.state == VersionState.DRAFT
    db.session.refresh(published)
    assert published.name_zh == "不满意件评议标准"
