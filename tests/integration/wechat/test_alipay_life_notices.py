"""Notices to members who use Alipay only: points, balance, coupon and level-up notices go through the merchant's Alipay
life account (生活号) in the sandbox, signed both ways; a member who does not follow it is recorded as failed in
Alipay's words and not retried."""
import json

import pytest
import requests
from sqlalchemy import select

from jobs import dispatch
from jobs.notices import send_notice
from models import NoticeDelivery
from models.sandbox_alipay_life import SandboxLifeMessage
from sandbox.alipay_life import set_following
from services.alipay_life import settings as life_settings
from services.members import levels, members
from services.points import ledger as points
from services.wallet import journal as wallet
from tests.web.member_h5.test_h5_support import provision

ALIPAY_USER = "2088000000000101"
TEMPLATES = {"points_changed": "LIFE-POINTS", "balance_changed": "LIFE-BALANCE", "coupon_received": "LIFE-COUPON",
             "level_up": "LIFE-LEVEL"}


@pytest.fixture()
def shop(make, db):
    shop = provision(db, make.merchant(name="生活号通知店"))
    row = life_settings.settings_for(db.session, shop.id)
    row.enabled, row.template_ids = True, dict(TEMPLATES)
    db.session.commit()
    return shop


@pytest.fixture()
def alipay_member(make, db, shop):
    person = make.member(shop, mobile="13600000101")
    members.bind_identity(db.session, person, "alipay_user_id", ALIPAY_USER, shop.alipay_app_id)
    db.session.commit()
    return person


def _follow(db, shop, user_id=ALIPAY_USER, value=True):
    set_following(db.session, shop.alipay_app_id, user_id, value)
    db.session.commit()


def _deliveries(db):
    db.session.expire_all()
    return db.session.scalars(select(NoticeDelivery).order_by(NoticeDelivery.id)).all()


def _life_messages(db, shop, user_id=ALIPAY_USER):
    db.session.expire_all()
    return db.session.scalars(select(SandboxLifeMessage).where(SandboxLifeMessage.app_id == shop.alipay_app_id,
                                                               SandboxLifeMessage.to_user_id == user_id)
                              .order_by(SandboxLifeMessage.id)).all()


def test_does_a_points_change_of_an_alipay_only_member_send_one_life_account_message(db, shop, alipay_member):
    _follow(db, shop)
    points.earn(db.session, shop, alipay_member.id, 50, key="order:life1", reason="消费积分")
    db.session.commit()
    [delivery] = _deliveries(db)
    assert (delivery.channel, delivery.kind, delivery.status, delivery.openid) == \
        ("alipay", "points_changed", "sent", ALIPAY_USER)
    [message] = _life_messages(db, shop)
    template = message.payload["template"]
    assert template["template_id"] == "LIFE-POINTS"
    assert template["context"]["keyword1"]["value"] == "+50 积分"
    assert template["context"]["url"].endswith(f"/h5/{shop.slug}/member/points")
    dispatch.execute(send_notice.job_name, delivery.id)  # a rerun job sends nothing more
    assert len(_life_messages(db, shop)) == 1


def test_does_a_balance_change_reach_an_alipay_only_member_in_yuan(db, shop, alipay_member):
    _follow(db, shop)
    purse = wallet.member_wallet(db.session, shop.id, alipay_member.id)
    wallet.credit(db.session, shop.id, purse.id, 10000, 0, key="topup:life1", note="充值")
    db.session.commit()
    [message] = _life_messages(db, shop)
    assert message.payload["template"]["template_id"] == "LIFE-BALANCE"
    assert message.payload["template"]["context"]["keyword1"]["value"] == "+¥100.00"


def test_is_a_member_who_does_not_follow_recorded_as_failed_in_alipays_words_without_retries(db, shop, alipay_member):
    points.earn(db.session, shop, alipay_member.id, 20, key="order:life2")
    db.session.commit()
    [delivery] = _deliveries(db)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "PUB.MSG_SD_NOFOLLOW" in delivery.last_error and "未关注" in delivery.last_error
    assert dispatch.execute(send_notice.job_name, delivery.id) == delivery.id  # no NoticeSendFailed: no retry
    assert _life_messages(db, shop) == []


def test_does_a_wechat_member_still_get_the_wechat_notice_and_not_the_life_account_one(make, db, shop):
    person = make.member(shop, mobile="13600000102")
    members.bind_identity(db.session, person, "wechat_openid", "o-life-wechat-member-00000001", shop.wechat_app_id)
    members.bind_identity(db.session, person, "alipay_user_id", "2088000000000102", shop.alipay_app_id)
    db.session.commit()
    _follow(db, shop, "2088000000000102")
    points.earn(db.session, shop, person.id, 5, key="order:life3")
    db.session.commit()
    [delivery] = _deliveries(db)
    assert delivery.channel == "wechat"
    assert _life_messages(db, shop, "2088000000000102") == []


def test_is_nothing_sent_when_the_life_account_is_off(db, shop, alipay_member):
    _follow(db, shop)
    life_settings.settings_for(db.session, shop.id).enabled = False
    db.session.commit()
    points.earn(db.session, shop, alipay_member.id, 5, key="order:life4")
    db.session.commit()
    assert _deliveries(db) == [] and _life_messages(db, shop) == []


def test_is_a_forged_request_to_the_sandbox_refused_and_nothing_delivered(db, shop, alipay_member, live_server):
    _follow(db, shop)
    biz = {"to_user_id": ALIPAY_USER, "template": {"template_id": "LIFE-POINTS", "context": {
        "head_color": "#1677FF", "url": "https://example.com/", "action_name": "查看",
        "keyword1": {"color": "#333333", "value": "+999 积分"}}}}
    form = {"app_id": shop.alipay_app_id, "method": "alipay.open.public.message.single.send", "charset": "utf-8",
            "sign_type": "RSA2", "timestamp": "2026-12-07 12:00:00", "version": "1.0",
            "biz_content": json.dumps(biz), "sign": "Zm9yZ2Vk"}
    for sent in (form, {k: v for k, v in form.items() if k != "sign"}):
        answer = requests.post(f"{live_server}/sandbox/alipay/gateway.do", data=sent, timeout=10).json()
        body = answer["alipay_open_public_message_single_send_response"]
        assert (body["code"], body["sub_code"]) == ("40002", "isv.invalid-signature")
    assert _life_messages(db, shop) == []


def test_does_a_coupon_given_by_staff_reach_an_alipay_only_member_once(make, db, shop, alipay_member):
    from services.coupons import issue as coupon_issue, templates as coupon_templates

    _follow(db, shop)
    owner = make.staff(shop)
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减10", amount_off=1000,
                                              min_spend=5000, validity_mode="relative", valid_days=30)
    db.session.commit()
    for _ in range(2):  # a retried grant (same key) notifies once
        code = coupon_issue.claim(db.session, shop, template.id, alipay_member.id, channel="staff", key="give:life",
                                  issued_by=owner)
        db.session.commit()
    [message] = _life_messages(db, shop)
    context = message.payload["template"]["context"]
    assert message.payload["template"]["template_id"] == "LIFE-COUPON"
    assert context["first"]["value"] == "您收到一张优惠券" and context["keyword1"]["value"] == "满50减10"
    assert context["url"].endswith(f"/h5/{shop.slug}/coupons/code/{code.id}")


def test_does_a_level_up_reach_an_alipay_only_member_and_its_switch_stop_it(make, db, shop, alipay_member):
    _follow(db, shop)
    owner = make.staff(shop, username="life-owner")
    ladder = levels.list_levels(db.session, shop.id)
    levels.set_level_manually(db.session, owner, alipay_member, ladder[1].id, "老顾客")
    db.session.commit()
    [delivery] = _deliveries(db)
    assert (delivery.channel, delivery.kind, delivery.status) == ("alipay", "level_up", "sent")
    [message] = _life_messages(db, shop)
    template = message.payload["template"]
    assert template["template_id"] == "LIFE-LEVEL"
    assert template["context"]["keyword1"]["value"] == ladder[1].name
    assert template["context"]["url"].endswith(f"/h5/{shop.slug}/member/level")

    life_settings.settings_for(db.session, shop.id).notify_level = False
    db.session.commit()
    levels.set_level_manually(db.session, owner, alipay_member, ladder[2].id, "再升一级")
    db.session.commit()
    assert len(_deliveries(db)) == 1 and len(_life_messages(db, shop)) == 1
