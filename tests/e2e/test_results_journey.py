"""Results as leadership and a department read them: the organizer opens the ranking with its intervals, drafts a
notice for the last six months, picks a typical case, issues it and downloads its PDF; the district government
reads its dashboard — each in Chinese and in English."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_rubric_journey import _login


def _in_english(page) -> None:
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def _in_chinese(page) -> None:
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_the_organizer_ranks_and_issues_a_notice_and_a_department_reads_its_dashboard(
    live_server: str, desktop, phone
) -> None:
    _login(desktop, live_server, "organizer")
    desktop.get_by_role("navigation").get_by_role("link", name="排名").click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text("单位排名")
    expect(desktop.locator("svg.chart").first).to_be_visible()
    expect(desktop.locator("body")).to_contain_text("名次区间")
    screenshot(desktop, "ranking-desktop")
    _in_english(desktop)
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Department ranking")
    screenshot(desktop, "ranking-desktop-en")
    _in_chinese(desktop)

    desktop.get_by_role("navigation").get_by_role("link", name="评议通报").click()
    desktop.get_by_role("link", name="新建通报").click()
    desktop.get_by_label("标题").fill("不满意件第三方评议情况通报（端到端）")
    desktop.get_by_label("起始日期").fill("2026-06-01")
    desktop.get_by_label("截止日期").fill("2026-12-31")
    desktop.get_by_label("导语").fill("现将近期不满意件第三方评议情况通报如下。")
    desktop.get_by_role("button", name="保存草稿").click()
    expect(desktop.get_by_role("status").first).to_contain_text("草稿已保存")
    desktop.locator("input[name=typical]").first.check()
    desktop.get_by_role("button", name="保存典型案例").click()
    expect(desktop.get_by_role("status").first).to_contain_text("典型案例已保存")
    expect(desktop.locator(".notice-case")).to_have_count(1)
    desktop.get_by_label(re.compile("确认印发")).check()
    desktop.get_by_role("button", name="印发通报").click()
    expect(desktop.get_by_role("status").first).to_contain_text(re.compile(r"\d{4}年第\d+期"))
    desktop.locator(".notice-preview").scroll_into_view_if_needed()
    screenshot(desktop, "notice-desktop")
    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="PDF").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    _in_english(desktop)
    screenshot(desktop, "notice-desktop-en")
    _in_chinese(desktop)  # the language is the user's own setting: leave it as the other journeys expect it

    _login(phone, live_server, "department")
    phone.get_by_role("navigation").get_by_role("link", name="本单位评议结果").click()
    expect(phone.locator("#dashboard")).to_contain_text("评议件数")
    expect(phone.locator("#dashboard svg.chart")).to_be_visible()
    phone.locator("#dashboard").scroll_into_view_if_needed()
    screenshot(phone, "department-dashboard-phone")
    _in_english(phone)
    expect(phone.locator("#dashboard")).to_contain_text("Cases reviewed")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    screenshot(phone, "department-dashboard-phone-en")
    _in_chinese(phone)
