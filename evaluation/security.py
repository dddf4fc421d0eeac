"""Security headers on every response; the client address as the documented reverse proxy reports it."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


def init_app(app: Flask) -> None:
    hops = int(app.config.get("EVALUATION_PROXY_HOPS", 0))
    if hops:
        # Behind nginx (README, "Running it in production"): trust exactly that many X-Forwarded-* hops, so
        # throttling and logs see the client's address, not the proxy's, and a client cannot forge its own.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.path.startswith("/static/"):
            # Pages and API answers may hold personal data: no browser or proxy keeps a copy.
            response.headers["Cache-Control"] = "no-store"
        return response
