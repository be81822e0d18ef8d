"""Member H5: the receipt's reward QR — a visitor joins first, a member claims once, a second claim is refused."""
from urllib.parse import parse_qs, urlsplit

import pytest

from domain import roles
from models import Member
from services.till import checkout, settings as checkout_settings
from services.rewards import rules as reward_rules
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5.test_h5_support import latest_sms_code

shop = test_h5_support.shop  # the fixture
OPENID = "o-rewards-member-000000000000001"
FRIEND_OPENID = "o-rewards-member-000000000000002"
VISITOR_OPENID = "o-rewards-visitor-00000000000003"


@pytest.fixture()
def claim_url(make, db, shop):
    """A walk-in paid ¥50 where a rule gives non-members 30 points on joining: the receipt's claim URL (path)."""
    owner, store = make.staff(shop, role=roles.OWNER), make.store(shop)
    checkout_settings.settings_of(db.session, shop.id).earn_per_yuan = 0
    reward_rules.save(db.session, owner, None, kind="post_payment", name="新客有礼", min_paid=0, for_non_members=True,
                      rewards={"points": 30})
    made = checkout.pay(db.session, shop, owner, store_id=store.id, member_id=None, amount=5000, tender="cash",
                        choice=None, seed="s", key="walk-in-1")
    db.session.commit()
    url = made.rewards[0]["url"]
    return url[url.index("/h5/"):]


@pytest.fixture()
def member(make, shop):
    return wechat_member(make, shop, OPENID, mobile="13600000021")


def test_does_a_member_claim_the_receipt_reward_once(client, db, shop, claim_url, member, make):
    assert client.get(claim_url).status_code == 302, "login first, as for other member pages"
    phone = wechat_phone(client, shop, OPENID)
    page = text_of(phone.get(claim_url))
    assert "新客有礼" in page and "30 积分" in page and 'id="reward-claim"' in page
    done = phone.post(claim_url)
    assert done.status_code == 200 and "领取成功" in text_of(done)
    assert fresh(member).points_balance == 30

    wechat_member(make, shop, FRIEND_OPENID, mobile="13600000022")
    other = wechat_phone(client, shop, FRIEND_OPENID)
    assert "该二维码已领取" in text_of(other.get(claim_url))
    again = other.post(claim_url)
    assert again.status_code == 409 and "不能重复领取" in text_of(again)
    assert fresh(member).points_balance == 30


def test_is_a_visitor_without_a_card_sent_to_claim_the_card_and_then_back_to_the_reward(client, db, shop,
                                                                                       claim_url):
    phone = wechat_phone(client, shop, VISITOR_OPENID)
    response = phone.get(claim_url)
    join = response.headers["Location"]
    assert response.status_code == 302 and urlsplit(join).path == f"/h5/{shop.slug}/claim"
    assert parse_qs(urlsplit(join).query)["next"] == [claim_url]
    assert db.session.query(Member).count() == 0

    phone.post(join, data={"action": "send_code", "mobile": "13600000033"})
    joined = phone.post(join, data={"action": "claim", "mobile": "13600000033", "gender": "unknown",
                                    "code": latest_sms_code(db, "13600000033")})
    assert joined.status_code == 302 and joined.headers["Location"] == claim_url
    welcome = db.session.query(Member).one().points_balance  # whatever joining itself gives
    assert phone.post(claim_url).status_code == 200
    db.session.expire_all()
    assert db.session.query(Member).one().points_balance == welcome + 30


def test_is_a_next_outside_the_member_pages_ignored_after_joining(client, db, shop):
    phone = wechat_phone(client, shop, VISITOR_OPENID)
    join = f"/h5/{shop.slug}/claim?next=https://evil.example/"
    phone.post(join, data={"action": "send_code", "mobile": "13600000044"})
    joined = phone.post(join, data={"action": "claim", "mobile": "13600000044", "gender": "unknown",
                                    "code": latest_sms_code(db, "13600000044")})
    assert joined.status_code == 302 and "evil" not in joined.headers["Location"]


def test_is_a_forged_token_not_found(client, db, shop, claim_url, member):
    phone = wechat_phone(client, shop, OPENID)
    assert phone.get(f"/h5/{shop.slug}/rewards/claim/not-a-token").status_code == 404
    assert phone.post(f"/h5/{shop.slug}/rewards/claim/{'x' * 500}").status_code == 404


def test_does_the_receipt_print_a_coupon_qr_for_100_yuan_paid_and_none_for_99(client, db, make):
    from services.coupons import templates as coupon_templates
    from tests.web.staff_h5.test_staff_h5 import staff_login

    merchant = make.merchant()
    owner, store = make.staff(merchant, role=roles.OWNER, username="rewardboss"), make.store(merchant)
    buyer = make.member(merchant)
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="下次满减券", amount_off=1000,
                                              validity_mode="relative", valid_days=30)
    reward_rules.save(db.session, owner, None, kind="receipt_coupon", name="会员消费优惠券", min_paid=10000,
                      rewards={"coupons": [{"template_id": template.id, "count": 1}]})

    def paid(amount, key):
        return checkout.pay(db.session, merchant, owner, store_id=store.id, member_id=buyer.id, amount=amount,
                            tender="cash", choice=None, seed="s", key=key).id

    full, short = paid(10000, "r100"), paid(9900, "r99")
    db.session.commit()
    staff_login(client, owner)
    for path in (f"/staff/checkouts/{full}", f"/staff/checkouts/{full}/print"):
        page = text_of(client.get(path))
        assert 'id="receipt-rewards"' in page and "会员消费优惠券" in page and "<svg" in page
        assert "仅可领取一次" in page
    assert 'id="receipt-rewards"' not in text_of(client.get(f"/staff/checkouts/{short}"))
