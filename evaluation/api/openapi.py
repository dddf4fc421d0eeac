"""The OpenAPI document, generated from the code: each API view declares its operation with @documented;
pydantic gives the schemas, apispec assembles and serialises the document."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"
# A response's body: one model, or several that it may be (anyOf), or none.
Body = type[BaseModel] | tuple[type[BaseModel], ...] | None


def _each(body: Body) -> tuple[type[BaseModel], ...]:
    return body if isinstance(body, tuple) else (body,) if body is not None else ()


def _schema(body: Body) -> dict[str, Any]:
    refs = [{"$ref": REF.format(model=model.__name__)} for model in _each(body)]
    return refs[0] if len(refs) == 1 else {"anyOf": refs}


@dataclass
class Operation:
    summary: str
    tags: list[str]
    responses: dict[int, tuple[str, Body]]
    request: type[BaseModel] | None = None
    request_schema: dict[str, Any] | None = None
    description: str = ""
    parameters: dict[str, str] = field(default_factory=dict)  # path parameter -> description
    models: list[type[BaseModel]] = field(default_factory=list)  # referenced by a hand-written request_schema
    query: dict[str, tuple[dict[str, Any], str]] = field(
        default_factory=dict
    )  # name -> (schema, description)


def documented(
    summary: str,
    *,
    tags: list[str],
    responses: dict[int, tuple[str, Body]],
    request: type[BaseModel] | None = None,
    request_schema: dict[str, Any] | None = None,
    description: str = "",
    parameters: dict[str, str] | None = None,
    models: list[type[BaseModel]] | None = None,
    query: dict[str, tuple[dict[str, Any], str]] | None = None,
) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        view._openapi = Operation(  # type: ignore[attr-defined]
            summary,
            tags,
            responses,
            request,
            request_schema,
            description,
            parameters or {},
            models or [],
            query or {},
        )
        return view

    return decorator


def _models(operations: list[Operation]) -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for op in operations:
        for model in [op.request, *op.models, *(m for _, body in op.responses.values() for m in _each(body))]:
            if model is not None:
                seen.setdefault(model.__name__, model)
    return list(seen.values())


def build_spec(app: Flask, *, title: str, version: str, description: str) -> dict[str, Any]:
    spec = APISpec(title=title, version=version, openapi_version="3.1.0", info={"description": description})
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "a client token from `flask --app evaluation clients create`",
        },
    )
    documented_views: list[tuple[Any, Any, Operation]] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        operation = getattr(view, "_openapi", None)
        if operation is not None:
            documented_views.append((rule, view, operation))
    inputs = {m for _, _, op in documented_views for m in (op.request, *op.models) if m is not None}
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation" if m in inputs else "serialization")
        for m in _models([op for _, _, op in documented_views])
    ]
    _, schemas = models_json_schema(modes, ref_template=REF)
    for name, schema in sorted(schemas.get("$defs", {}).items()):
        spec.components.schema(name, schema)

    for rule, view, op in documented_views:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        scopes = getattr(view, "_openapi_scopes", ())
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body: dict[str, Any] = {
                "summary": op.summary,
                "tags": op.tags,
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "responses": {
                    str(code): {
                        "description": text,
                        **({"content": {"application/json": {"schema": _schema(model)}}} if model else {}),
                    }
                    for code, (text, model) in sorted(op.responses.items())
                },
            }
            if op.description:
                body["description"] = op.description
            body["parameters"] = [
                {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
                for name, (schema, text) in op.query.items()
            ]
            if rule.arguments:
                body["parameters"] += [
                    {
                        "name": arg,
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": op.parameters.get(arg, ""),
                    }
                    for arg in sorted(rule.arguments)
                ]
            if not body["parameters"]:
                del body["parameters"]
            if scopes:
                body["security"] = [{"bearer": []}]
                body["description"] = (
                    body.get("description", "") + f"\n\nScope: {' or '.join(scopes)}."
                ).strip()
            if op.request is not None or op.request_schema is not None:
                schema = op.request_schema or {"$ref": REF.format(model=getattr(op.request, "__name__", ""))}
                body["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
            spec.path(path=path, operations={method.lower(): body})
    return spec.to_dict()
