"""With the database unreachable, pages answer 503 with a page rendered without it, and the API 503 in JSON."""

from __future__ import annotations

import pytest

from evaluation import create_app
from evaluation.extensions import db


@pytest.fixture
def no_database(app_ctx):
    """The same application, pointed at a PostgreSQL port where nothing listens."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2",
            "WTF_CSRF_ENABLED": False,
            "PROPAGATE_EXCEPTIONS": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_a_page_that_needs_the_database_says_503_in_words(no_database) -> None:
    response = no_database.post("/login", data={"username": "li.wen", "password": "whatever password"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "暂时无法使用" in response.get_data(as_text=True)


def test_a_logged_in_page_is_a_503_too_not_a_crash_in_the_header(no_database) -> None:
    with no_database.session_transaction() as session:
        session["_user_id"], session["_fresh"] = "1.abcdef", True
    response = no_database.get("/dashboard")
    assert response.status_code == 503 and "数据库" in response.get_data(as_text=True)


def test_the_api_answers_503_in_json(no_database) -> None:
    response = no_database.get("/api/v1/departments", headers={"Authorization": "Bearer evk_x"})
    assert response.status_code == 503
    assert response.get_json()["error"]["status"] == 503
