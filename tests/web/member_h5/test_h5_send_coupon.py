"""The member's side of a send: the coupon link in a mass message (taken once, only by a member who received the
message, another merchant's send is a 404), and the 接收营销短信 switch on the profile page."""
from models import CouponCode
from services.coupons import templates as coupon_templates
from services.outreach import run
from tests.integration.outreach.support import LATE_MORNING, draft, follow, shop_with_members
from tests.integration.outreach.test_send_flow import run_to_end
from tests.web.helpers import count, fresh, text_of
from tests.web.member_h5.test_h5_support import sign_in

OPENID = "o-send-coupon-member-000000001"


def coupon_send(db, make, monkeypatch):
    monkeypatch.setattr(run, "_start_job", lambda session, send_id: None)
    shop, owner, fans, plain = shop_with_members(db, make, followers=1, phones_only=1, name="券群发店")
    follow(db, shop, plain[0], OPENID)
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减10", amount_off=1000,
                                              min_spend=5000, validity_mode="relative", valid_days=30)
    db.session.commit()
    send = draft(db, owner, content_kind="coupon", coupon_template_id=str(template.id))
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, send)
    return shop, send, fans, plain[0]


def test_can_a_recipient_take_the_coupon_of_a_send_once(client, db, make, monkeypatch):
    shop, send, fans, receiver = coupon_send(db, make, monkeypatch)
    sign_in(client, shop, "wechat", OPENID)
    url = f"/h5/{shop.slug}/sends/{send.id}/coupon"
    page = client.get(url)
    assert page.status_code == 200 and "满50减10" in text_of(page) and "立即领取" in text_of(page)
    taken = client.post(url)
    assert taken.status_code == 200 and "已放入您的券包" in text_of(taken)
    again = client.post(url)
    assert "您已领取这张券" in text_of(again)
    assert count(CouponCode, CouponCode.member_id == receiver.id) == 1


def test_is_another_merchants_send_a_404_for_the_member(client, db, make, monkeypatch):
    shop, send, fans, receiver = coupon_send(db, make, monkeypatch)
    other, *_ = shop_with_members(db, make, followers=0, phones_only=0, name="别家店")
    sign_in(client, shop, "wechat", OPENID)
    assert client.get(f"/h5/{shop.slug}/sends/{send.id + 1000}/coupon").status_code == 404
    assert client.get(f"/h5/{other.slug}/sends/{send.id}/coupon").status_code in (302, 404)


def test_can_the_member_switch_marketing_sms_off_and_on(client, db, make, monkeypatch):
    shop, send, fans, receiver = coupon_send(db, make, monkeypatch)
    sign_in(client, shop, "wechat", OPENID)
    form = text_of(client.get(f"/h5/{shop.slug}/member/profile"))
    assert "接收营销短信" in form
    off = client.post(f"/h5/{shop.slug}/member/profile", data={"name": "小王", "gender": "male"})
    assert off.status_code == 302 and fresh(receiver).sms_opt_out_at is not None
    on = client.post(f"/h5/{shop.slug}/member/profile", data={"name": "小王", "gender": "male", "marketing_sms": "y"})
    assert on.status_code == 302 and fresh(receiver).sms_opt_out_at is None
