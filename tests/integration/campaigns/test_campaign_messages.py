"""A campaign's message through the channel chooser: after the run, one send (群发) to the members it rewarded and
did not cap: WeChat to followers, SMS to the rest; never at night."""
import pytest
from sqlalchemy import select

from domain.errors import DomainError

from models import CampaignRun, Send
from services.audiences import saved
from services.audiences.filters import Filters
from services.campaigns import runs, setup
from services.coupons import templates as coupon_templates
from services.outreach import run as outreach_run
from tests.integration.campaigns.support import tick, utc
from tests.integration.outreach.support import recipients_of, shop_with_members


def _run_at(db, monkeypatch, now):
    """The tick and the run's job at `now` (the job would otherwise run inline at the real time)."""
    tick(db, now)


def _campaign(db, owner, at, message):
    coupon = coupon_templates.save_template(db.session, owner, None, kind="cash", title="双旦券", amount_off=500,
                                            validity_mode="relative", valid_days=30)
    audience = saved.save(db.session, owner, None, name="全部", filters=Filters())
    row = setup.save(db.session, owner, None, name="双旦派券", kind="one_off", schedule={"at": at},
                     audience_id=audience.id, rewards={"coupons": [{"template_id": coupon.id, "count": 1}]},
                     message=message, now=utc(2026, 12, 6))
    setup.switch_on(db.session, owner, row.id, now=utc(2026, 12, 6))
    db.session.commit()
    return row


def test_does_a_campaign_tell_its_members_by_wechat_or_sms_after_the_run(db, make, monkeypatch):
    started = []
    monkeypatch.setattr(outreach_run, "_start_job", lambda session, send_id: started.append(send_id))
    shop, owner, fans, plain = shop_with_members(db, make, followers=3, phones_only=2)
    row = _campaign(db, owner, "2026-12-24T10:00", {"channel": "best", "text": "双旦券已到账，欢迎到店",
                                                    "sms": "双旦券已到账"})
    _run_at(db, monkeypatch, utc(2026, 12, 24, 2, 1))
    run = db.session.scalars(select(CampaignRun).where(CampaignRun.campaign_id == row.id)).one()
    assert run.send_id is not None and started == [run.send_id]
    send = db.session.get(Send, run.send_id)
    while outreach_run.run_chunk(db.session, send.id, now=utc(2026, 12, 24, 2, 2)):
        db.session.commit()
    db.session.commit()
    got = recipients_of(db, send)
    assert sorted(got) == sorted(m.id for m in fans + plain)
    assert sorted(r.channel for r in got.values()) == ["sms", "sms", "wechat", "wechat", "wechat"]


def test_is_a_campaign_that_messages_at_night_refused_and_a_night_run_send_waits_for_morning(db, make, monkeypatch):
    started = []
    monkeypatch.setattr(outreach_run, "_start_job", lambda session, send_id: started.append(send_id))
    shop, owner, fans, plain = shop_with_members(db, make, followers=1, phones_only=1)
    with pytest.raises(DomainError, match="不打扰会员"):
        _campaign(db, owner, "2026-12-24T22:00", {"channel": "sms", "sms": "晚安"})
    db.session.rollback()
    row = _campaign(db, owner, "2026-12-24T20:00", {"channel": "sms", "sms": "双旦券已到账"})
    _run_at(db, monkeypatch, utc(2026, 12, 24, 14, 30))  # caught up at 22:30 local
    run = db.session.scalars(select(CampaignRun).where(CampaignRun.campaign_id == row.id)).one()
    send = db.session.get(Send, run.send_id)
    assert started == [] and send.status == "scheduled"
    assert send.scheduled_at == utc(2026, 12, 25, 0)  # 08:00 in Shanghai
