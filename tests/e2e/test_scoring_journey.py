"""A panel member, on a phone, scores an assigned case: a validation message, a fix, submission, a locked sheet."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_rubric_journey import _login


def test_member_scores_a_case_on_a_phone(live_server: str, phone) -> None:
    _login(phone, live_server, "member")
    phone.get_by_role("navigation").get_by_role("link", name="我的评议").click()
    # Accepted seats link to their scoring pages; take the first whose sheet is still open.
    links = [a.get_attribute("href") for a in phone.locator("a[href*='/reviews/seats/']").all()]
    for href in links:
        phone.goto(live_server + href)
        expect(phone.get_by_role("heading", name="您的评价")).to_be_visible()
        if phone.locator("#sheet-form").count():
            break
    else:
        raise AssertionError("the demo member has no open sheet")
    expect(phone.locator("body")).to_contain_text("为保护诉求人，个人信息已脱敏显示")

    # Answer every criterion from the keyboard-reachable radios, but give G1 a low score without a comment.
    for fieldset in phone.locator("fieldset.criterion").all():
        code = fieldset.get_attribute("id").removeprefix("criterion-")
        radios = fieldset.locator("input[type=radio]")
        (radios.nth(1) if code == "G1" else radios.first if code.startswith("Q") else radios.nth(2)).check()
    phone.get_by_label("我已对每项指标作出评价").check()
    phone.get_by_role("button", name="提交并锁定").click()
    expect(phone.locator("#c-G1-error")).to_contain_text("得分不高于 1 时须填写说明")
    screenshot(phone, "scoring-error-phone")

    phone.locator("#c-G1-comment").fill("电梯三个月未修好，答复未给出维修期限。")
    phone.get_by_label("我已对每项指标作出评价").check()
    phone.get_by_role("button", name="提交并锁定").click()
    expect(phone.get_by_role("status").first).to_contain_text("已提交")
    expect(phone.locator("body")).to_contain_text("评分表已锁定")
    expect(phone.locator("input[name='c-P1']").first).to_be_disabled()
    screenshot(phone, "scoring-locked-phone", full_page=True)
    assert re.search(r"/reviews/seats/\d+$", phone.url)
