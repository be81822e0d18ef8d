"""A send in a real Chromium, end to end: the merchant builds an audience of followers and saves it, writes a coupon
message to it, previews it to their own WeChat, sends it, and sees the report; the follower finds the message on
the simulated phone, opens its link and takes the coupon."""
import re

import pytest
from sqlalchemy import select

from models import Fan, SandboxMassRecipient
from sandbox import wechat_state as sbx
from services.coupons import templates as coupon_templates
from services.members import members
from tests.e2e.test_backoffice_e2e import ARTIFACTS, assert_no_horizontal_scroll
from tests.factories import PASSWORD
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e
OWNER_MOBILE = "13800000001"


@pytest.fixture()
def shop(db, make):
    merchant = provision(db, make.merchant(slug="e2esend", name="群发咖啡"))
    owner = make.staff(merchant, role="owner", username="boss")
    owner.mobile = OWNER_MOBILE  # the preview goes to the owner's own WeChat, found by this phone
    followers = []
    for n, mobile in enumerate((OWNER_MOBILE, "13800000002")):
        person = sbx.create_wechat_user(db.session, merchant.wechat_app_id, f"粉丝{n}")
        sbx.set_follow(db.session, merchant.wechat_app_id, person.user_key, True)
        member = make.member(merchant, mobile=mobile)
        members.bind_identity(db.session, member, "wechat_openid", person.user_key, app_id=merchant.wechat_app_id)
        db.session.add(Fan(merchant_id=merchant.id, app_id=merchant.wechat_app_id, openid=person.user_key,
                           subscribed=True, member_id=member.id))
        followers.append(person)
    make.member(merchant, mobile="13800000003")  # no WeChat: skipped by a WeChat send
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减10", amount_off=1000,
                                              min_spend=5000, validity_mode="relative", valid_days=30)
    db.session.commit()
    return dict(slug=merchant.slug, app_id=merchant.wechat_app_id, template_id=template.id,
                person_id=followers[1].id, openid=followers[1].user_key, owner=owner.username)


def test_can_a_merchant_build_an_audience_send_a_coupon_and_see_it_arrive(phone, live_server, shop, db):
    page = phone  # the back office opens from the official-account menu, on the same phone
    page.goto(f"{live_server}/backoffice/login")
    page.fill("input[name=merchant]", shop["slug"])
    page.fill("input[name=username]", shop["owner"])
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server}/backoffice/")

    page.goto(f"{live_server}/backoffice/audiences/build")
    page.select_option("select[name=follows]", "1")
    page.wait_for_function("() => document.getElementById('audience-live').textContent.includes('2')")
    page.click("#audience-filters button[type=submit]")
    page.wait_for_selector("#audience-total")
    assert "2 位" in page.inner_text("#audience-total")
    page.fill("input[name=name]", "公众号粉丝")
    page.click("main form[action$='/audiences/save'] button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server}/backoffice/sends/new")
    page.fill("input[name=title]", "周末送券")
    page.select_option("select[name=audience]", label="公众号粉丝")
    page.check("input[name=content_kind][value=coupon]")
    page.select_option("select[name=coupon_template_id]", str(shop["template_id"]))
    page.fill("textarea[name=text]", "周末到店，送您一张券")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#send-plan")
    assert page.inner_text("#plan-total") == "2"

    page.fill("#send-preview input[name=mobile]", OWNER_MOBILE)
    page.click("#send-preview button[type=submit]")
    page.wait_for_load_state()
    page.click("#send-submit button[type=submit]")
    page.wait_for_selector("#send-report")
    assert page.inner_text("#report-targeted") == "2" and page.inner_text("#report-sent") == "2"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "backoffice-send-report.png"), full_page=True)
    db.session.expire_all()
    assert len(db.session.scalars(select(SandboxMassRecipient.id).where(
        SandboxMassRecipient.openid == shop["openid"], SandboxMassRecipient.delivered.is_(True))).all()) == 1

    host = live_server.split("//", 1)[1].split(":")[0]
    phone.context.add_cookies([
        {"name": "sandbox_client", "value": "wechat", "domain": host, "path": "/"},
        {"name": "sandbox_wechat_user", "value": str(shop["person_id"]), "domain": host, "path": "/"},
    ])
    phone.goto(f"{live_server}/sandbox/phone?m={shop['slug']}")
    chat = phone.locator("#chat")
    assert "周末到店，送您一张券" in chat.inner_text()
    assert_no_horizontal_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "sandbox-phone-mass-message.png"), full_page=True)
    phone.click("#chat a:has-text('满50减10')")
    phone.wait_for_url(re.compile(rf"/h5/{shop['slug']}/sends/\d+/coupon"))
    phone.click("#send-coupon-claim button")
    phone.wait_for_selector("text=已放入您的券包")

    page.go_back()
    page.go_back()
    page.goto(f"{live_server}/backoffice/sends")
    page.click("table a:has-text('周末送券')")
    page.wait_for_selector("#send-report")
    assert page.inner_text("#report-claimed") == "1"
