"""What a first claim of the card adds beyond the join itself (services/recruitment/joining.py): a customer who
already paid here is nobody's recruit, and a number that replied T before it joined stays out of marketing SMS."""
from sqlalchemy import select

from domain.clock import now_utc
from models import CommissionEntry, Member, SmsOptOut
from services.members import join as member_join, members
from services.recruitment import commission_rules, sources
from services.recruitment.attribution import Touch
from tests.integration.recruitment.test_referrals import (configure, fresh, join, referral_points, shop,  # noqa: F401
                                                          wechat)


def test_is_a_customer_who_already_paid_here_nobodys_invitee_when_they_claim_the_card_through_an_invite(db, shop):
    configure(db, shop, join=[(100, None)])
    inviter = join(db, shop, wechat(shop, "o-host"), "13900001001")
    regular = members.create_member(db.session, shop["merchant"].id, mobile="13900001002")
    regular.visit_count, regular.total_spend = 3, 45000  # a counter customer for months
    db.session.commit()

    joined = join(db, shop, wechat(shop, "o-regular"), "13900001002", via=inviter)
    db.session.commit()

    assert joined.id == regular.id
    assert fresh(db, joined).referrer_id is None
    assert referral_points(db, inviter) == 0


def test_does_a_staff_member_earn_no_new_member_commission_for_an_old_customer(db, shop, make):
    cashier = make.staff(shop["merchant"], role="cashier", stores_=[shop["store"]])
    commission_rules.save(db.session, shop["owner"], enabled=True, per_new_member=500, topup_bp=0, card_sale_bp=0,
                          guided_spend_bp=0, guided_spend_days=0)
    regular = members.create_member(db.session, shop["merchant"].id, mobile="13900001003")
    regular.total_topup = 10000
    db.session.commit()
    touch = Touch.of(sources.for_staff(db.session, cashier))
    member_join.join(db.session, shop["merchant"], wechat(shop, "o-old"), mobile="13900001003",
                     profile=member_join.Profile(), touch=touch)
    newcomer = member_join.join(db.session, shop["merchant"], wechat(shop, "o-new"), mobile="13900001004",
                                profile=member_join.Profile(), touch=touch)
    db.session.commit()

    earned = db.session.scalars(select(CommissionEntry).where(CommissionEntry.staff_id == cashier.id)).all()
    assert [(entry.member_id, entry.amount) for entry in earned] == [(newcomer.id, 500)]


def test_does_a_number_that_replied_t_before_joining_stay_opted_out_as_a_member(db, shop):
    replied = now_utc()
    db.session.add(SmsOptOut(merchant_id=shop["merchant"].id, mobile="13900001005", created_at=replied))
    db.session.commit()

    member = join(db, shop, wechat(shop, "o-quiet"), "13900001005")
    other = join(db, shop, wechat(shop, "o-loud"), "13900001006")
    db.session.commit()

    assert fresh(db, member).sms_opt_out_at == replied
    assert db.session.get(Member, other.id).sms_opt_out_at is None
