"""In real Chromium: a member claims a coupon in H5; a cashier of the right store verifies it by typing
the code; a cashier of another store is refused with the reason."""
import re

import pytest
from sqlalchemy import select

from models import CouponCode
from services.coupons import templates as coupon_templates
from services.members import members
from sandbox import wechat_state as wechat_sandbox
from tests.factories import PASSWORD
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e


@pytest.fixture()
def shop(make, db):
    merchant = provision(db, make.merchant(slug="couponcafe", name="券测咖啡"))
    owner = make.staff(merchant, role="owner")
    east, west = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    east_cashier = make.staff(merchant, role="cashier", username="east", stores_=[east])
    west_cashier = make.staff(merchant, role="cashier", username="west", stores_=[west])
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减10", amount_off=1000,
                                              min_spend=5000, validity_mode="relative", valid_days=7,
                                              store_ids=[east.id])
    person = wechat_sandbox.create_wechat_user(db.session, merchant.wechat_app_id, "领券人")
    member = members.create_member(db.session, merchant.id, mobile="13655556666", name="领券人")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, app_id=merchant.wechat_app_id)
    db.session.commit()
    return dict(slug=merchant.slug, template_id=template.id, person_id=person.id, member_id=member.id,
                east=east_cashier.username, west=west_cashier.username)


def staff_checks(page, base, slug, username, code):
    page.goto(f"{base}/staff/login")
    page.fill("input[name=merchant]", slug)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/staff/")
    page.fill("input[name=code]", code)
    page.click("#lookup-form button[type=submit]")
    page.wait_for_load_state()
    return page


def test_can_a_member_claim_a_coupon_and_only_the_right_store_verify_it(phone, live_server, shop, db):
    host = live_server.split("//", 1)[1].split(":")[0]
    phone.context.add_cookies([
        {"name": "sandbox_client", "value": "wechat", "domain": host, "path": "/"},
        {"name": "sandbox_wechat_user", "value": str(shop["person_id"]), "domain": host, "path": "/"},
    ])
    phone.goto(f"{live_server}/h5/{shop['slug']}/")  # silent OAuth through the sandbox, as inside WeChat
    phone.wait_for_url(re.compile(rf"/h5/{shop['slug']}/member"))
    phone.goto(f"{live_server}/h5/{shop['slug']}/coupons/")
    phone.click(f"form[action$='/coupons/{shop['template_id']}/claim'] button")
    phone.wait_for_selector("text=满50减10")
    db.session.expire_all()
    code = db.session.scalars(select(CouponCode).where(CouponCode.member_id == shop["member_id"])).one()
    phone.goto(f"{live_server}/h5/{shop['slug']}/coupons/code/{code.id}")
    printed = re.search(r"[0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4}", phone.text_content("body")).group(0)
    assert printed.replace(" ", "") == code.code

    west = staff_checks(phone.context.browser.new_context(viewport={"width": 375, "height": 667}).new_page(),
                        live_server, shop["slug"], shop["west"], printed)
    assert "该券不能在本门店使用" in west.text_content("body")
    assert west.locator("#verify-form").count() == 0

    east = staff_checks(phone.context.browser.new_context(viewport={"width": 375, "height": 667}).new_page(),
                        live_server, shop["slug"], shop["east"], printed.lower())
    east.click("#verify-form button[type=submit]")
    east.wait_for_load_state()
    assert "核销成功" in east.text_content("body")
    db.session.expire_all()
    used = db.session.get(CouponCode, code.id)
    assert used.state == "used" and used.used_store.name == "东门店"
