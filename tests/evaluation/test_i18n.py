from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from evaluation.accounts.models import Role, User
from evaluation.extensions import db
from evaluation.web import local_datetime
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "evaluation" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def _extracted_ids() -> set[str]:
    ids: set[str] = set()
    method_map = [
        ("evaluation/**.py", "python"),
        ("panels/**.py", "python"),
        ("rubrics/**.py", "python"),
        ("procurement/**.py", "python"),
        ("templates/**.html", "jinja2"),
    ]
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_ui_string_has_a_chinese_translation() -> None:
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0]): m.string
        for m in catalog
        if m.id and "fuzzy" not in m.flags and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(_extracted_ids() - set(translated))
    assert not missing, f"untranslated message ids (run `make translations`): {missing}"


# Words a Chinese page may show in Latin letters: formats, standards, names of things that have no other.
LATIN_WORDS = {
    "English",
    "CSV",
    "Excel",
    "UTF",
    "GBK",
    "XLSX",
    "PDF",
    "JSON",
    "API",
    "SHA",
    "ICC",
    "HTML",
    "demo",
}


def _english(text: str) -> list[str]:
    """English left in a Chinese page: any phrase, and any lone word of four letters or more (a state's code
    such as "replaced" shown raw) that is not one of the LATIN_WORDS."""
    phrases = re.findall(r"[A-Za-z]{3,}(?:\s+[A-Za-z]{3,})+", text)
    words = [
        w
        for w in re.findall(r"(?<![A-Za-z0-9@._/-])[A-Za-z]{4,}(?![A-Za-z0-9@._/-])", text)
        if w not in LATIN_WORDS
    ]
    return phrases + words


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<button[^>]*lang="en"[^>]*>English</button>', " ", html)  # the language switch itself
    html = re.sub(r"<code>.*?</code>", " ", html, flags=re.S)
    # Data that is not language (usernames, e-mail addresses, codes) is marked translate="no" where it is shown.
    html = re.sub(r'<(\w+)[^>]*\btranslate="no"[^>]*>.*?</\1>', " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(
    "role, url",
    [
        ("organizer", "/dashboard"),
        ("organizer", "/cases/"),
        ("organizer", "/batches/"),
        ("organizer", "/panels/members"),
        ("organizer", "/rubrics/"),
        ("organizer", "/procurement/"),
        ("admin", "/admin/users"),
        ("member", "/batches/mine"),
        ("organizer", "/account"),
        ("organizer", "/rubrics/new"),
        ("organizer", "/cases/import"),
        ("organizer", "/panels/policies/new"),
        ("organizer", "/panels/members/new"),
        ("organizer", "/panels/members/import"),
        ("member", "/panels/profile"),
    ],
)
def test_pages_in_chinese_show_no_untranslated_english(client, auth, role, url) -> None:
    make_user("u", role)
    auth.login("u")
    english = _english(_visible_text(client.get(url).get_data(as_text=True)))
    assert not english, english


# Codes that never reach a page as a state or a kind (job and delivery bookkeeping, token kinds) or not yet
# (appeals, bid validity: their pages come with their issues, and their labels with them).
UNSHOWN_ENUMS = {
    "ItemPurpose",
    "TokenPurpose",
    "RegionLevel",
    "JobState",
    "OutboxState",
    "AppealState",
    "BidState",
}


def test_every_state_a_page_shows_has_a_label(app_ctx) -> None:
    """A state added to an enum (a seat's "replaced", say) is named in Chinese wherever the state() macro or the
    label filter shows it, never as its code."""
    import enum
    import importlib

    from evaluation.labels import LABELS

    missing = []
    for module_name in (
        "evaluation.accounts.models",
        "evaluation.assessments.models",
        "evaluation.batches.models",
        "evaluation.cases.models",
        "evaluation.jobs.models",
        "evaluation.org.models",
        "evaluation.publication.models",
        "evaluation.scoring.models",
        "panels.models",
        "procurement.models",
        "procurement.expert_models",
        "rubrics.models",
    ):
        module = importlib.import_module(module_name)
        for name, found in vars(module).items():
            if not (
                isinstance(found, type) and issubclass(found, enum.Enum) and found.__module__ == module_name
            ):
                continue
            if name not in UNSHOWN_ENUMS:
                missing += [f"{name}.{member.name}" for member in found if member.value not in LABELS]
    assert missing == []


def test_accept_language_english(client) -> None:
    text = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in text and ">Log in<" in text


def test_accept_language_chinese_variants(client) -> None:
    for header in ("zh-CN", "zh", "zh-TW,zh;q=0.8", "fr"):
        text = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
        assert '<html lang="zh-CN">' in text, header


def test_the_header_switch_changes_the_language_for_the_session(client) -> None:
    response = client.post("/locale", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert ">Log in<" in client.get("/login").get_data(as_text=True)


def test_the_switch_is_kept_on_the_account_and_beats_accept_language(client, auth) -> None:
    make_user("u", Role.ORGANIZER)
    auth.login("u")
    client.post("/locale", data={"locale": "en"})
    assert db.session.scalar(sa.select(User.locale).where(User.username == "u")) == "en"
    page = client.get("/dashboard", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Welcome, u" in page


def test_the_switch_refuses_an_unknown_language(client) -> None:
    client.post("/locale", data={"locale": "fr"})
    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)


def test_the_switch_does_not_redirect_off_site(client) -> None:
    response = client.post("/locale", data={"locale": "en", "next": "//evil.example/x"})
    assert response.headers["Location"].endswith("/dashboard")


@pytest.mark.parametrize(
    "code, zh, en",
    [
        (404, "页面不存在", "Page not found"),
        (403, "无权访问", "Access denied"),
    ],
)
def test_error_pages_in_both_languages(client, auth, code, zh, en) -> None:
    make_user("u", Role.MEMBER)
    auth.login("u")
    url = "/no-such-page" if code == 404 else "/cases/"
    response = client.get(url)
    assert response.status_code == code and zh in response.get_data(as_text=True)
    response = client.get(url, headers={"Accept-Language": "en"})
    assert en in response.get_data(as_text=True)


def test_the_500_page_in_both_languages(app_ctx, client, monkeypatch) -> None:
    def boom() -> str:
        raise RuntimeError("boom")

    monkeypatch.setitem(app_ctx.view_functions, "accounts.login", boom)
    monkeypatch.setitem(app_ctx.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/login")
    assert response.status_code == 500 and "出错了" in response.get_data(as_text=True)
    response = client.get("/login", headers={"Accept-Language": "en"})
    assert "Something went wrong" in response.get_data(as_text=True)


def test_the_400_page_in_both_languages(app_ctx, client, monkeypatch) -> None:
    monkeypatch.setitem(app_ctx.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/locale", data={"locale": "en"})
    assert response.status_code == 400 and "请求有误" in response.get_data(as_text=True)
    response = client.post("/locale", data={"locale": "en"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400 and "Bad request" in response.get_data(as_text=True)


def test_dates_are_shown_in_beijing_time(app_ctx) -> None:
    with app_ctx.test_request_context("/"):
        assert local_datetime(datetime(2026, 11, 26, 16, 30, tzinfo=UTC)) == "2026-11-27 00:30"


def test_the_demo_pages_show_no_untranslated_english(runner, client, auth) -> None:
    """Every page with data, in each role, in Chinese: no English words left behind."""
    from evaluation.accounts import links
    from evaluation.accounts.models import TokenPurpose, User
    from evaluation.batches.models import Batch, BatchState
    from evaluation.cases.models import Case
    from panels.draw import open_draw, run_draw
    from panels.invitations import make_token
    from panels.models import Member, Seat, SeatState
    from rubrics.models import Criterion, RubricVersion

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    draft = db.session.scalar(sa.select(Batch).where(Batch.state == BatchState.DRAFT))
    draw = open_draw(draft, None)
    run_draw(draw)
    db.session.commit()
    batches = {b.state: b for b in db.session.scalars(sa.select(Batch))}
    batches["drawn"] = draft
    version = db.session.scalar(sa.select(RubricVersion))
    criterion = db.session.scalar(sa.select(Criterion).where(Criterion.version_id == version.id))
    case = db.session.scalar(sa.select(Case).order_by(Case.id))
    member = db.session.scalar(
        sa.select(Member).join(User, Member.user_id == User.id).where(User.username == "member")
    )
    seat = db.session.scalar(
        sa.select(Seat).where(Seat.member_id == member.id, Seat.state == SeatState.ACCEPTED)
    )
    token = make_token(seat)
    organizer = db.session.scalar(sa.select(User).where(User.username == "organizer"))
    without_account = Member(name="新成员", role="citizen_rep", email="new.member@example.org", max_cases=5)
    db.session.add(without_account)
    db.session.flush()
    _, password_link = links.issue(
        TokenPurpose.INVITATION, without_account.email, member_id=without_account.id
    )
    db.session.commit()
    pages = {
        "organizer": [f"/batches/{b.id}" for b in batches.values()]
        + [
            f"/batches/{batches[BatchState.SCORING].id}/monitor",
            "/batches/new",
            "/panels/policies",
            f"/panels/policies/{batches[BatchState.SCORING].policy_id}",
            f"/panels/members/{member.id}",
            f"/cases/{case.id}",
            f"/rubrics/versions/{version.id}",
            f"/rubrics/versions/{version.id}/preview",
            f"/rubrics/versions/{version.id}/copy",
            "/cases/import",
            "/procurement/",
            "/panels/members/import",
            "/panels/members?account=none",
            f"/batches/draws/{draw.id}/exclusions",
        ],
        "member": [
            "/batches/mine",
            "/panels/profile",
            f"/reviews/seats/{seat.id}",
            f"/panels/invitations/{token}",
        ],
        "department": ["/results/", "/dashboard"],
        "agency": ["/batches/", f"/batches/{batches[BatchState.PUBLISHED].id}", "/procurement/"],
        "admin": ["/admin/users", "/admin/users/new", f"/admin/users/{organizer.id}"],
        None: [f"/account/password/{password_link}"],
    }
    assert criterion is not None
    for username, urls in pages.items():
        if username is not None:
            auth.login(username, "demo-2026")
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            english = _english(_visible_text(response.get_data(as_text=True)))
            assert not english, (username, url, english)
        auth.logout()
    _error_previews_and_deliberation_show_no_english(client, auth, batches[BatchState.SCORING])


def _error_previews_and_deliberation_show_no_english(client, auth, scoring) -> None:
    """The pages a mistake or a late panel leads to: the import previews with their row errors, and a batch in
    deliberation with what stands between it and finalizing."""
    import io

    from evaluation.batches.operations import close_scoring

    auth.login("organizer", "demo-2026")
    header = client.get("/cases/import/template.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    bad_cases = header + "\n" + ",".join("x" for _ in header.split(",")) + "\n"
    bad_members = "姓名,身份,电子邮箱,每批最多件数\n张三,外星人,not-an-address,很多\n"
    for url, content in (("/cases/import", bad_cases), ("/panels/members/import", bad_members)):
        response = client.post(
            url, data={"file": (io.BytesIO(content.encode()), "file.csv")}, content_type="multipart/form-data"
        )
        assert response.status_code == 400, url
        page = response.get_data(as_text=True)
        assert "<table>" in page, url  # the rows and columns at fault, in a table
        assert not _english(_visible_text(page)), (url, _english(_visible_text(page)))
    close_scoring(scoring, 30, early=True)
    db.session.commit()
    page = client.get(f"/batches/{scoring.id}").get_data(as_text=True)
    assert 'id="blockers"' in page and "合议" in page
    assert not _english(_visible_text(page)), _english(_visible_text(page))
    auth.logout()


def test_a_refusal_is_english_in_logs_and_the_readers_language_on_pages(app) -> None:
    from flask_babel import force_locale

    from evaluation.tabular import TableError
    from evaluation.web import explain

    exc = TableError("At most %(n)d rows in one file.", n=5000)
    assert str(exc) == "At most 5000 rows in one file."
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        chinese = explain(exc)
    assert "5000" in chinese and chinese != str(exc)
    with app.test_request_context(), force_locale("en"):
        assert explain(exc) == str(exc)


def test_a_damaged_workbook_is_refused_in_the_readers_words(client, auth) -> None:
    """openpyxl's English never reaches the page: the import says what to do, in Chinese."""
    import io

    from tests.conftest import make_user

    make_user("organizer", "organizer")
    auth.login("organizer")
    for url in ("/cases/import", "/panels/members/import"):
        page = client.post(
            url,
            data={"file": (io.BytesIO(b"PK\x03\x04 not really"), "cases.xlsx")},
            content_type="multipart/form-data",
        )
        text = page.get_data(as_text=True)
        assert page.status_code == 400 and "另存为 .xlsx" in text and "zip" not in text.lower()
