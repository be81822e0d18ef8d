"""券到账: a coupon given to a member by someone else (staff, a bulk issue, a rule, a friend) sends a template
notice once, its fields within WeChat's 20 characters, linking to the coupon; the member's own claims do not."""
from sqlalchemy import select

from models import NoticeDelivery, SandboxOutbox
from services.cards import count_timed_issue
from services.coupons import issue as coupon_issue, templates as coupon_templates
from services.members import members
from services.wechat import settings as wechat_settings
from tests.integration.cards.test_cards import count_template
from tests.web.member_h5.test_h5_support import provision

OPENID = "o-coupon-notice-000000000000001"
TEMPLATES = {"coupon_received": "TPL-COUPON"}


def shop_with_follower(db, make, **template_kw):
    shop = provision(db, make.merchant(name="券通知店"), template_ids=dict(TEMPLATES))
    owner = make.staff(shop)
    person = make.member(shop, mobile="13600000009")
    members.bind_identity(db.session, person, "wechat_openid", OPENID, shop.wechat_app_id)
    template = coupon_templates.save_template(db.session, owner, None, kind="cash",
                                              title=template_kw.get("title", "满50减10"), amount_off=1000,
                                              min_spend=5000, validity_mode="relative", valid_days=30)
    db.session.commit()
    return shop, owner, person, template


def sent_templates(db):
    db.session.expire_all()
    return db.session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "template",
                                                          SandboxOutbox.recipient == OPENID)).all()


def test_does_a_coupon_given_by_staff_notify_once_with_a_link_to_it(db, make):
    shop, owner, person, template = shop_with_follower(db, make)
    for _ in range(2):  # a retried grant (same key) gives nothing twice, and notifies once
        code = coupon_issue.claim(db.session, shop, template.id, person.id, channel="staff", key="give:1",
                                  issued_by=owner)
        db.session.commit()
    [delivery] = db.session.scalars(select(NoticeDelivery)).all()
    assert (delivery.kind, delivery.status) == ("coupon_received", "sent")
    [sent] = sent_templates(db)
    data = sent.payload["data"]
    assert sent.payload["template_id"] == "TPL-COUPON"
    assert data["first"]["value"] == "您收到一张优惠券" and data["keyword1"]["value"] == "满50减10"
    assert sent.payload["url"].endswith(f"/h5/{shop.slug}/coupons/code/{code.id}")


def test_are_long_titles_cut_to_twenty_characters(db, make):
    shop, owner, person, template = shop_with_follower(db, make, title="超" * 40)
    coupon_issue.claim(db.session, shop, template.id, person.id, channel="bulk", key="bulk:1:1")
    db.session.commit()
    [sent] = sent_templates(db)
    assert all(len(field["value"]) <= 20 for field in sent.payload["data"].values())
    assert sent.payload["data"]["keyword1"]["value"] == "超" * 19 + "…"


def test_does_a_members_own_claim_not_notify(db, make):
    shop, owner, person, template = shop_with_follower(db, make)
    for n, channel in enumerate(("h5", "shop_qr", "points_exchange", "purchase")):
        coupon_issue.claim(db.session, shop, template.id, person.id, channel=channel, key=f"own:{n}")
    db.session.commit()
    assert db.session.scalars(select(NoticeDelivery)).all() == []


def test_does_the_merchants_switch_stop_the_notice(db, make):
    shop, owner, person, template = shop_with_follower(db, make)
    wechat_settings.settings_for(db.session, shop.id).notify_coupon = False
    db.session.commit()
    coupon_issue.claim(db.session, shop, template.id, person.id, channel="staff", key="give:2")
    db.session.commit()
    assert db.session.scalars(select(NoticeDelivery)).all() == [] and sent_templates(db) == []


def test_does_a_card_given_by_staff_notify_with_a_link_to_the_card(db, make):
    shop, owner, person, _ = shop_with_follower(db, make)
    template = count_template(db, owner)
    card = count_timed_issue.issue(db.session, shop, template.id, person.id, channel="staff", key="card:1",
                                   issued_by=owner)
    db.session.commit()
    [sent] = sent_templates(db)
    assert sent.payload["data"]["first"]["value"] == "您收到一张卡"
    assert sent.payload["data"]["keyword1"]["value"] == "洗车十次卡"
    assert sent.payload["url"].endswith(f"/h5/{shop.slug}/cards/{card.id}")
