"""Every API error is JSON: {"error": {"status", "code", "message", …}}."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> tuple[Response, int]:
        body = jsonify(
            error={"status": self.status, "code": self.code, "message": self.message, **self.extra}
        )
        headers = {"WWW-Authenticate": 'Bearer realm="evaluation"'} if self.status == 401 else {}
        if self.status == 403:
            headers = {
                "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{self.extra.get("scope", "")}"'
            }
        return body, self.status, headers  # type: ignore[return-value]
