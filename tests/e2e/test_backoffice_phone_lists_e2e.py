"""The back office's lists on a 375 px phone (issue 21, item 6): rows are cards, so the member list shows each
member's balance and a member's page shows 挂失 / 补卡 / 退卡 within the screen's width; and the date boxes open a
Chinese picker (item 10)."""
import re

import pytest

from services.members import members as member_service
from tests.e2e.test_backoffice_e2e import ARTIFACTS
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture()
def signed_in_phone(live_server, phone, db, make):
    merchant = make.merchant(slug="phonelists", name="手机列表咖啡")
    make.staff(merchant, role="owner", username="boss")
    member = make.member(merchant, mobile="13900005678", name="林小满")
    make.wallet(merchant, member, principal=12345, bonus=0)
    member_service.bind_identity(db.session, member, "card_no", "8800001234")
    db.session.commit()
    phone.goto(f"{live_server}/backoffice/login")
    phone.fill("input[name=merchant]", "phonelists")
    phone.fill("input[name=username]", "boss")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main form button[type=submit]")
    phone.wait_for_url(f"{live_server}/backoffice/")
    return phone, member.id


def within_screen(page, locator):
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_does_the_member_list_show_the_balance_on_a_phone(live_server, signed_in_phone):
    phone, _member_id = signed_in_phone
    phone.goto(f"{live_server}/backoffice/members")
    balance = phone.locator("td[data-label='储值余额']").first
    assert balance.inner_text().strip() == "¥123.45"
    assert balance.is_visible() and within_screen(phone, balance)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "backoffice-phone-member-list.png"), full_page=True)


def test_are_the_card_actions_on_screen_on_a_members_page(live_server, signed_in_phone):
    phone, member_id = signed_in_phone
    phone.goto(f"{live_server}/backoffice/members/{member_id}")
    for label in ("挂失", "补卡", "退卡"):
        button = phone.get_by_role("button", name=label, exact=True)
        button.scroll_into_view_if_needed()
        assert button.is_visible() and within_screen(phone, button), label
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    phone.screenshot(path=str(ARTIFACTS / "backoffice-phone-member-cards.png"), full_page=True)


def test_does_a_date_box_open_a_chinese_picker(live_server, signed_in_phone):
    phone, _member_id = signed_in_phone
    phone.goto(f"{live_server}/backoffice/verifications")
    box = phone.locator("input[name=date_from]")
    assert box.get_attribute("type") == "text" and box.get_attribute("placeholder") == "年-月-日"
    box.click()
    sheet = phone.locator(".bo-date-picker .weui-picker")
    assert sheet.is_visible() and "年" in sheet.inner_text() and "月" in sheet.inner_text()
    phone.locator(".bo-date-picker .weui-picker__group").nth(1).locator(".weui-picker__item", has_text="3月").click()
    phone.wait_for_timeout(600)  # the wheel's smooth scroll settles
    phone.locator(".bo-date-picker__ok").click()
    assert re.fullmatch(r"\d{4}-03-\d{2}", box.input_value())
    assert not sheet.is_visible()


def test_does_the_bulk_issue_form_start_with_no_coupon_chosen(live_server, signed_in_phone):
    phone, _member_id = signed_in_phone
    phone.goto(f"{live_server}/backoffice/coupons/bulk/new")
    chosen = phone.locator("select[name=template_id]")
    assert chosen.input_value() == "" and "请选择优惠券" in chosen.locator("option:checked").inner_text()
