"""What comes back: WeChat's MASSSENDJOBFINISH through the signed callback (a forged one and a replayed one change
nothing), members' SMS replies of T through /sms/inbound (signed), and the coupon a send carries, claimed from the
message and counted in the report with the money paid."""
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from channels import sms as sms_channel
from domain.errors import DomainError
from models import Member, WechatMassCall
from sandbox import wechat_events as events
from services.coupons import templates as coupon_templates
from services.outreach import coupon_offer, report, run
from services.verification import instruments
from tests.integration.outreach.support import LATE_MORNING, draft, recipients_of, shop_with_members
from tests.integration.outreach.test_send_flow import run_to_end


def finished(db, send):
    db.session.expire_all()
    return db.session.scalars(select(WechatMassCall).where(WechatMassCall.send_id == send.id)).one()


def sent_send(db, make):
    shop, owner, fans, plain = shop_with_members(db, make)
    send = draft(db, owner)
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, send)
    return shop, owner, fans, plain, send


def test_is_wechats_job_finish_recorded_once_and_a_forgery_ignored(db, make, live_server):
    shop, owner, fans, plain, send = sent_send(db, make)
    call = finished(db, send)
    account = events.Account(shop.wechat_app_id, shop.wechat_token)
    xml = events.mass_finish_xml(account, call.msg_id, 3, 3, 3, 0)
    forged = events.Account(shop.wechat_app_id, "not-the-token")
    assert events.deliver(live_server, shop.slug, forged, events.mass_finish_xml(forged, call.msg_id, 9, 9, 0, 9)) \
        .status == 403
    assert finished(db, send).reported_at is None
    assert events.deliver(live_server, shop.slug, account, xml).status == 200
    call = finished(db, send)
    assert (call.total_count, call.sent_count, call.error_count) == (3, 3, 0)
    replay = events.mass_finish_xml(account, call.msg_id, 3, 3, 1, 2, created=time.time() + 5)
    assert events.deliver(live_server, shop.slug, account, replay).status == 200
    assert (finished(db, send).sent_count, finished(db, send).error_count) == (3, 0)
    figures = report.of(db.session, shop.id, send.id)
    assert figures.wechat_reported == {"calls": 1, "reported": 1, "sent": 3, "errors": 0}
    assert figures.sent == {"wechat": 3} and figures.skipped == {"no_wechat": 2}


def signed_reply(app, mobile, reply, merchant_id, changes=None):
    form = {"mobile": mobile, "text": reply, "merchant_id": str(merchant_id), "timestamp": str(int(time.time())),
            "nonce": "n1"}
    form["signature"] = sms_channel.inbound_signature(app.config, *form.values())
    form.update(changes or {})
    return form


def test_does_a_signed_reply_of_t_opt_the_member_out_and_a_forged_one_not(app, db, make, live_server):
    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=2)
    url = f"{live_server}/sms/inbound/sandbox"
    forged = signed_reply(app, plain[1].mobile, "T", shop.id, {"text": "TD"})
    assert requests.post(url, data=forged, timeout=5).status_code == 403
    answer = requests.post(url, data=signed_reply(app, plain[0].mobile, "T", shop.id), timeout=5)
    assert answer.status_code == 200 and answer.json()["opted_out"] == 1
    assert requests.post(f"{live_server}/sms/inbound/other", data={}, timeout=5).status_code == 404
    db.session.expire_all()
    assert [m.sms_opt_out_at is not None for m in (db.session.get(Member, plain[0].id),
                                                  db.session.get(Member, plain[1].id))] == [True, False]


def test_is_the_coupon_in_a_send_claimed_once_by_a_recipient_and_reported(db, make):
    shop, owner, fans, plain = shop_with_members(db, make)
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减10", amount_off=1000,
                                              min_spend=5000, validity_mode="relative", valid_days=30)
    db.session.commit()
    send = draft(db, owner, content_kind="coupon", coupon_template_id=str(template.id), text="送您一张券")
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, send)
    first = coupon_offer.claim(db.session, shop, send.id, fans[0].id, now=LATE_MORNING)
    again = coupon_offer.claim(db.session, shop, send.id, fans[0].id, now=LATE_MORNING)
    db.session.commit()
    assert first.id == again.id and first.channel == "mass_message"
    with pytest.raises(DomainError, match="只发给收到"):
        coupon_offer.claim(db.session, shop, send.id, plain[0].id, now=LATE_MORNING)
    db.session.rollback()
    figures = report.of(db.session, shop.id, send.id)
    assert (figures.coupons_claimed, figures.coupons_used, figures.money_paid) == (1, 0, 0)
    assert recipients_of(db, send)[fans[0].id].coupon_code_id == first.id

    store = make.store(shop)
    db.session.commit()
    instruments.verify(db.session, owner, first.code, store_id=store.id, method="manual", key="use:1",
                       amount_received=8800, now=LATE_MORNING + timedelta(hours=2))
    db.session.commit()
    figures = report.of(db.session, shop.id, send.id)
    assert (figures.coupons_claimed, figures.coupons_used, figures.money_paid) == (1, 1, 8800)
