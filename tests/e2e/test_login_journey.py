"""An organizer logs in on a phone, in Chinese, finds the overview, switches to English and logs out."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


def test_organizer_logs_in_switches_language_and_logs_out(live_server: str, phone) -> None:
    phone.goto(f"{live_server}/")
    expect(phone).to_have_url(re.compile(r"/login"))
    expect(phone.locator("h1")).to_have_text("登录")
    screenshot(phone, "login-phone", full_page=True)

    phone.get_by_label("用户名").fill("organizer")
    phone.get_by_label("密码").fill("wrong password")
    phone.get_by_role("button", name="登录").click()
    expect(phone.get_by_role("alert")).to_contain_text("用户名或密码错误")

    phone.get_by_label("密码").fill("demo-2026")
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile(r"/dashboard$"))
    expect(phone.get_by_role("heading", name="工单状态分布")).to_be_visible()
    screenshot(phone, "dashboard-phone", full_page=True)

    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Cases by status")).to_be_visible()
    phone.get_by_role("button", name="中文").click()
    expect(phone.get_by_role("heading", name="工单状态分布")).to_be_visible()

    phone.get_by_role("button", name="退出").click()
    expect(phone).to_have_url(re.compile(r"/login$"))
    expect(phone.get_by_role("status")).to_contain_text("您已退出登录")


def test_each_demo_role_reaches_its_pages(live_server: str, desktop) -> None:
    for username, link, marker in (
        ("organizer", "工单", "不满意件"),
        ("member", "我的评议", "不满意件评议 第3批"),
        ("department", "本单位评议结果", "CD12345-2026-"),
        ("agency", "评议批次", "不满意件评议 第1批"),
        ("admin", "用户管理", "系统管理员"),
    ):
        desktop.goto(f"{live_server}/login")
        desktop.get_by_label("用户名").fill(username)
        desktop.get_by_label("密码").fill("demo-2026")
        desktop.get_by_role("button", name="登录").click()
        desktop.get_by_role("navigation").get_by_role("link", name=link).click()
        expect(desktop.locator("main")).to_contain_text(marker)
        screenshot(desktop, f"{username}-desktop")
        desktop.get_by_role("button", name="退出").click()
        expect(desktop).to_have_url(re.compile(r"/login$"))
