"""Locale and timezone selection: the user's setting, then the session's switch, then Accept-Language.

Locales are called ``zh_CN`` and ``en`` in settings and URLs. Babel canonicalises ``zh_CN`` as
``zh_Hans_CN``, which is why the Chinese catalog lives in ``translations/zh_Hans_CN``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from evaluation.extensions import babel

TRANSLATIONS = Path(__file__).resolve().parent / "translations"

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def normalise_locale(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_")
    if value.lower().startswith("zh"):
        return "zh_CN"
    if value.lower().startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    if not has_request_context():  # a job's e-mail: its languages are forced where it is rendered
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    chosen = normalise_locale(session.get("locale"))
    if chosen:
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"]) if request else None
    return normalise_locale(best) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS),
    )

    @app.context_processor
    def _i18n_context() -> dict[str, object]:
        # Babel canonicalises zh_CN as zh_Hans_CN (hence the catalog's directory name); we speak of zh_CN.
        babel_locale = get_locale()
        locale = "en" if babel_locale is not None and babel_locale.language == "en" else "zh_CN"
        return {
            "current_locale": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else "en",
            "language_names": LANGUAGE_NAMES,
        }
