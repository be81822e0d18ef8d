"""Back office member page: the coupons and cards the member holds, with their state."""
from datetime import timedelta

from domain.clock import now_utc
from extensions import db
from models import Card, CardTemplate
from services.coupons import issue as coupon_issue, templates as coupon_templates
from tests.web.helpers import text_of


def _count_card(merchant, member, uses_left):
    template = CardTemplate(merchant_id=merchant.id, kind="count", title="洗车10次卡", service_name="洗车", uses=10)
    db.session.add(template)
    db.session.flush()
    card = Card(merchant_id=merchant.id, template_id=template.id, kind="count", member_id=member.id,
                code="C0UNTCARD0000001", state="active", channel="staff", idempotency_key="card:1",
                uses_total=10, uses_left=uses_left)
    db.session.add(card)
    return card


def test_does_the_member_page_list_the_members_cards_and_coupons(as_owner, make, merchant, owner):
    member = make.member(merchant)
    db.session.flush()
    _count_card(merchant, member, uses_left=7)
    coupon = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                            validity_mode="relative", valid_days=30)
    coupon_issue.claim(db.session, merchant, coupon.id, member.id, channel="staff", key="hold:1")
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    section = page.split("券与卡")[1]
    assert "洗车10次卡" in section and "剩余 7/10 次" in section and "使用中" in section
    assert "满100减20" in section and "可使用" in section


def test_is_an_available_coupon_past_its_end_shown_as_expired(as_owner, make, merchant, owner):
    member = make.member(merchant)
    db.session.flush()
    coupon = coupon_templates.save_template(db.session, owner, None, kind="cash", title="过期券", amount_off=500,
                                            validity_mode="relative", valid_days=1)
    coupon_issue.claim(db.session, merchant, coupon.id, member.id, channel="staff", key="hold:2",
                       now=now_utc() - timedelta(days=5))
    db.session.commit()
    section = text_of(as_owner.get(f"/backoffice/members/{member.id}")).split("券与卡")[1]
    assert "过期券" in section and "已过期" in section


def test_are_another_merchants_cards_never_listed(as_owner, make, merchant):
    other = make.merchant(name="别家")
    member = make.member(merchant)
    db.session.flush()
    # A row of the other merchant pointing at this member: only the merchant scope keeps it off the page.
    _count_card(other, member, uses_left=3)
    db.session.commit()
    section = text_of(as_owner.get(f"/backoffice/members/{member.id}")).split("券与卡")[1]
    assert "洗车10次卡" not in section.split("</section>")[0]
