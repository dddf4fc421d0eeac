"""REST API v1: the main system pushes departments and cases in, and reads their status back."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from evaluation.api.auth import require_scope
from evaluation.api.errors import ApiError
from evaluation.api.openapi import build_spec, documented
from evaluation.api.schemas import (
    MAX_CASES_PER_REQUEST,
    AssessmentOut,
    AssessmentPageOut,
    CaseBatchOut,
    CaseIn,
    CaseResultOut,
    CaseStatusOut,
    DepartmentIn,
    DepartmentListOut,
    DepartmentResultOut,
    ErrorOut,
    field_errors,
)
from evaluation.assessments.models import Assessment
from evaluation.cases.intake import ingest_cases, record_intake
from evaluation.cases.models import Case
from evaluation.extensions import csrf, db
from evaluation.org.models import Department
from evaluation.org.operations import DepartmentError, upsert_department

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
DEPARTMENT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
COMMON_ERRORS = {401: ("missing or invalid token", ErrorOut), 403: ("the client lacks the scope", ErrorOut)}


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = current_app.config["EVALUATION_API_MAX_BYTES"]


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Any:
    return error.response()  # an error status: the request's edge rolls back


def _json_body() -> Any:
    if request.mimetype != "application/json":
        raise ApiError(
            415, "unsupported_media_type", "send the body as JSON with 'Content-Type: application/json'"
        )
    raw = request.get_data(cache=False)  # past the size limit this raises 413, answered as JSON
    if request.content_length is None and len(raw) >= (request.max_content_length or len(raw) + 1):
        # A chunked body is read up to the limit and no further, silently: one that reaches it is over it.
        raise RequestEntityTooLarge()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "too_deep", "the body's JSON is nested too deeply") from None


def _department_json(d: Department, parent_code: str | None) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "kind": d.kind.value,
        "parent": parent_code,
        "region_code": d.region_code,
    }


@bp.put("/departments/<code>")
@require_scope("departments:write")
@documented(
    "Create or update a department",
    tags=["departments"],
    request=DepartmentIn,
    parameters={"code": "the department's code in the main system"},
    responses={
        201: ("created", DepartmentResultOut),
        200: ("updated or unchanged", DepartmentResultOut),
        400: ("malformed JSON", ErrorOut),
        415: ("not JSON", ErrorOut),
        422: ("invalid fields, each named", ErrorOut),
        **COMMON_ERRORS,
    },
)
def put_department(code: str) -> Any:
    if not DEPARTMENT_CODE.match(code):
        raise ApiError(
            422,
            "invalid",
            "the department code must be 1 to 32 letters, digits, '-', '_' or '.'",
            errors=[{"field": "code", "code": "pattern", "message": "invalid department code"}],
        )
    body = _json_body()
    try:
        data = DepartmentIn.model_validate(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid", "the department was not saved", errors=field_errors(exc)) from None
    try:
        department, result = upsert_department(code, data)
    except DepartmentError as exc:
        raise ApiError(
            422,
            "invalid",
            "the department was not saved",
            errors=[{"field": exc.field, "code": exc.code, "message": str(exc)}],
        ) from None
    return jsonify(result=result, department=_department_json(department, data.parent)), (
        201 if result == "created" else 200
    )


@bp.get("/departments")
@require_scope("departments:write", "cases:write")
@documented(
    "List the departments",
    tags=["departments"],
    responses={200: ("all departments", DepartmentListOut), **COMMON_ERRORS},
)
def list_departments() -> Any:
    parent = sa.orm.aliased(Department)
    rows = db.session.execute(
        sa.select(Department, parent.code)
        .outerjoin(parent, Department.parent_id == parent.id)
        .order_by(Department.code)
    ).all()
    return jsonify(departments=[_department_json(d, p) for d, p in rows])


@bp.post("/cases")
@require_scope("cases:write")
@documented(
    "Push one case, or up to 1,000",
    tags=["cases"],
    request_schema={
        "oneOf": [
            {"$ref": "#/components/schemas/CaseIn"},
            {
                "type": "object",
                "required": ["cases"],
                "properties": {
                    "cases": {
                        "type": "array",
                        "maxItems": MAX_CASES_PER_REQUEST,
                        "items": {"$ref": "#/components/schemas/CaseIn"},
                    }
                },
            },
        ]
    },
    models=[CaseIn],
    description="Identity is (source, external_id). The same payload again is `unchanged`; a changed one updates "
    "the case until it enters a review batch, and is refused with 409 after that. Each item is atomic.",
    responses={
        201: ("one case created", CaseResultOut),
        200: ("one case updated or unchanged; or a list's results", (CaseResultOut, CaseBatchOut)),
        400: ("malformed JSON", ErrorOut),
        409: ("the case is already under review", CaseResultOut),
        413: ("body too large or more than 1,000 cases", ErrorOut),
        415: ("not JSON", ErrorOut),
        422: (
            "the case was rejected, every error naming its field; or the body is not a case nor a list of cases",
            (CaseResultOut, ErrorOut),
        ),
        **COMMON_ERRORS,
    },
)
def post_cases() -> Any:
    body = _json_body()
    if isinstance(body, dict) and "cases" in body:
        items = body["cases"]
        if not isinstance(items, list):
            raise ApiError(
                422,
                "invalid",
                "cases must be a list",
                errors=[{"field": "cases", "code": "list_type", "message": "Input should be a valid list"}],
            )
        if len(items) > MAX_CASES_PER_REQUEST:
            raise ApiError(
                413,
                "too_many_cases",
                f"at most {MAX_CASES_PER_REQUEST} cases in one request, not {len(items)}",
            )
        results = ingest_cases(items, list_mode=True)
        record_intake(results, "api", client=g.api_client.name)
        summary = {key: 0 for key in ("created", "updated", "unchanged", "rejected")}
        for r in results:
            summary[r.result] += 1
        return jsonify(results=[r.as_json() for r in results], summary=summary)
    if not isinstance(body, dict):
        raise ApiError(
            422,
            "invalid",
            'send one case object or {"cases": [...]}',
            errors=[{"field": "$", "code": "model_type", "message": "Input should be an object"}],
        )
    (result,) = ingest_cases([body], list_mode=False)
    record_intake([result], "api", client=g.api_client.name)
    status = {"created": 201, "updated": 200, "unchanged": 200}.get(
        result.result, 409 if result.conflict else 422
    )
    payload = result.as_json(with_index=False)
    headers = {}
    if result.result == "created":
        headers["Location"] = url_for(".get_case", source=result.source, external_id=result.external_id)
    return jsonify(payload), status, headers


@bp.get("/cases/<source>/<path:external_id>")
@require_scope("cases:write")
@documented(
    "The status of a case here",
    tags=["cases"],
    responses={200: ("the case's status", CaseStatusOut), 404: ("no such case", ErrorOut), **COMMON_ERRORS},
)
def get_case(source: str, external_id: str) -> Any:
    case = db.session.scalar(sa.select(Case).where(Case.source == source, Case.external_id == external_id))
    if case is None:
        raise ApiError(404, "not_found", f"no case {source}/{external_id}")
    return jsonify(
        source=case.source,
        external_id=case.external_id,
        status=case.status.value,
        exclusion_reason=case.exclusion_reason.value if case.exclusion_reason else None,
        received_at=case.received_dt.isoformat(),
        updated_at=case.updated_dt.isoformat(),
    )


MAX_PAGE = 1000
CURSOR = re.compile(r"^[0-9]{1,18}$")


def _query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not CURSOR.match(raw) or not low <= int(raw) <= high:
        raise ApiError(
            400,
            "invalid_parameter",
            f"{name} must be a whole number from {low} to {high}",
            errors=[
                {
                    "field": name,
                    "code": "invalid_parameter",
                    "message": f"a whole number from {low} to {high}",
                }
            ],
        )
    return int(raw)


@bp.get("/assessments")
@require_scope("assessments:read")
@documented(
    "Published assessments, in the order of publication",
    tags=["assessments"],
    description="Pass the `next` of one page as `after` for the next. The order is the order in which "
    "publications became visible, so a reader that follows the cursor while a batch is being published never "
    "skips or repeats an assessment. A correction is a new item (a new id and version, naming the one it "
    "supersedes).",
    query={
        "after": (
            {"type": "string", "pattern": "^[0-9]{1,18}$"},
            "a cursor from an earlier page; 0 from the start",
        ),
        "limit": ({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "items per page, 100 by default"),
    },
    responses={
        200: ("a page of assessments", AssessmentPageOut),
        400: ("a malformed cursor or limit", ErrorOut),
        **COMMON_ERRORS,
    },
)
def list_assessments() -> Any:
    # A cursor past the largest number a publication can have is simply past the end (PostgreSQL's integer
    # column would refuse to compare with it: the schemathesis run on PostgreSQL found that 500).
    after = min(_query_int("after", 0, 0, 10**18 - 1), 2**31 - 1)
    limit = _query_int("limit", 100, 1, MAX_PAGE)
    rows = db.session.execute(
        sa.select(Assessment.published_seq, Assessment.publication)
        .where(Assessment.published_seq > after, Assessment.publication.is_not(None))
        .order_by(Assessment.published_seq)
        .limit(limit)
    ).all()
    return jsonify(items=[publication for _seq, publication in rows], next=str(rows[-1][0]) if rows else None)


@bp.get("/assessments/<assessment_id>")
@require_scope("assessments:read")
@documented(
    "One published assessment, any version",
    tags=["assessments"],
    parameters={"assessment_id": "the assessment's id"},
    responses={
        200: ("the assessment", AssessmentOut),
        404: ("no such published assessment", ErrorOut),
        **COMMON_ERRORS,
    },
)
def get_assessment(assessment_id: str) -> Any:
    publication = db.session.scalar(
        sa.select(Assessment.publication).where(
            Assessment.public_id == assessment_id, Assessment.publication.is_not(None)
        )
    )
    if publication is None:
        raise ApiError(404, "not_found", f"no published assessment {assessment_id}")
    return jsonify(publication)


@bp.get("/openapi.json")
def openapi() -> Response:
    document = build_spec(
        current_app,
        title="评议 API",
        version="1",
        description="The third-party evaluation platform's API for the main case system.",
    )
    return jsonify(document)
