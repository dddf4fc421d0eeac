"""An organizer prepares a draw, sees the seed's fingerprint, runs it and sees the panels and the seed."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_rubric_journey import _login


def test_organizer_draws_the_panels_of_a_batch(live_server: str, desktop) -> None:
    _login(desktop, live_server, "organizer")
    desktop.get_by_role("navigation").get_by_role("link", name="评议批次").click()
    desktop.get_by_role("link", name="不满意件评议 第4批").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("草稿")
    desktop.get_by_role("button", name="准备抽取").click()
    fingerprint = desktop.locator("code.fingerprint").first
    expect(fingerprint).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    shown = fingerprint.inner_text()
    desktop.get_by_role("button", name="执行抽取").click()
    expect(desktop.get_by_role("status").first).to_contain_text("评议团已抽取")
    expect(desktop.locator("code.fingerprint").first).to_have_text(shown)  # the same fingerprint, kept
    expect(desktop.locator("body")).to_contain_text("随机种子（抽取后公开）")
    expect(desktop.locator("body")).to_contain_text("任何人都可以复现本次抽取")  # in words, no command line
    expect(desktop.locator(".seat").first).to_be_visible()
    screenshot(desktop, "draw-desktop", full_page=True)
    desktop.get_by_role("button", name="发送邀请").click()
    expect(desktop.get_by_role("status").first).to_contain_text("已发出 150 份邀请")
