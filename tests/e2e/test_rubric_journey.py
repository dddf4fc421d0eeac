"""An organizer opens the standard, previews it as a member would, and starts a new version from it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


def _login(page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("demo-2026")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def test_organizer_previews_the_standard_and_drafts_a_new_version(live_server: str, desktop, phone) -> None:
    _login(desktop, live_server, "organizer")
    desktop.get_by_role("navigation").get_by_role("link", name="评议标准").click()
    desktop.locator("section", has_text="unsatisfied-case-standard").get_by_role("link", name="v1").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("不满意件评议标准 v1")
    expect(desktop.locator("body")).to_contain_text("已发布")
    screenshot(desktop, "rubric-version-desktop")

    desktop.get_by_role("link", name="以评议员视角预览").click()
    level = desktop.get_by_label(re.compile("当日即时签收并明确承办人"))
    level.check()
    expect(level).to_be_checked()

    desktop.go_back()
    desktop.get_by_role("button", name="修订为新版本").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("v2")
    expect(desktop.get_by_role("status").first).to_contain_text("第 2 版")
    desktop.get_by_role("row", name=re.compile("签收及时")).get_by_role("link", name="编辑").click()
    desktop.get_by_label("权重").fill("16")
    desktop.get_by_role("button", name="保存指标").click()
    expect(desktop.get_by_role("alert")).to_contain_text("合计为 110")
    expect(desktop.get_by_role("link", name="发布…")).to_be_visible()

    _login(phone, live_server, "organizer")
    phone.goto(desktop.url.split("#")[0] + "/preview")
    expect(phone.locator("h3").first).to_have_text("程序")
    screenshot(phone, "rubric-preview-phone")
