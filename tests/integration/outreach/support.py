"""A shop with a sandbox official account and members who follow it, have only a phone, or opted out."""
from datetime import datetime, timezone

from sqlalchemy import select

from models import Fan, Member, SandboxMassRecipient, SendRecipient
from services.members import members
from services.outreach import compose
from tests.web.member_h5.test_h5_support import provision

LATE_MORNING = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)  # 11:00 in Shanghai


def follow(db, shop, member, openid):
    members.bind_identity(db.session, member, "wechat_openid", openid, shop.wechat_app_id)
    db.session.add(Fan(merchant_id=shop.id, app_id=shop.wechat_app_id, openid=openid, subscribed=True,
                       member_id=member.id))
    db.session.flush()


def openid_for(n):
    return f"o{n:027d}"


def shop_with_members(db, make, followers=3, phones_only=2, name="群发店"):
    shop = provision(db, make.merchant(name=name))
    owner = make.staff(shop)
    fans = []
    for n in range(followers):
        person = make.member(shop)
        follow(db, shop, person, openid_for(shop.id * 1000 + n))
        fans.append(person)
    plain = [make.member(shop) for _ in range(phones_only)]
    db.session.commit()
    return shop, owner, fans, plain


def draft(db, owner, **values):
    data = {"title": "双旦活动", "content_kind": "text", "channel": "wechat", "text": "新品上市，欢迎到店", **values}
    send = compose.save_draft(db.session, owner, None, data)
    db.session.commit()
    return send


def recipients_of(db, send):
    db.session.expire_all()
    return {row.member_id: row for row in db.session.scalars(select(SendRecipient).where(
        SendRecipient.send_id == send.id))}


def delivered_openids(db, shop):
    db.session.expire_all()
    return sorted(db.session.scalars(select(SandboxMassRecipient.openid).where(
        SandboxMassRecipient.app_id == shop.wechat_app_id, SandboxMassRecipient.delivered.is_(True))))


def member(db, member_id):
    return db.session.get(Member, member_id)
