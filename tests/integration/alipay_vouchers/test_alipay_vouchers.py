"""A coupon template as an Alipay merchant voucher: synced to an activity, codes claimed by members with an Alipay
identity deposited into their Alipay card package by a job after the commit (once, however often the job runs),
and Alipay following a verification at our till and its undo. Jobs run inline after each commit here."""
import pytest
from sqlalchemy import func, select, update

from domain.errors import Conflict, NotFound
from jobs import alipay_vouchers as voucher_jobs
from models import (AlipayVoucherActivity, AlipayVoucherDeposit, CouponCode, MemberIdentity, SandboxAlipayVoucher,
                    SandboxAlipayVoucherActivity, SandboxUser)
from sandbox.alipay_keys import provision_merchant
from sandbox.phone import ALIPAY_USER_COOKIE
from services.alipay_vouchers import activities
from services.coupons import issue as coupon_issue, templates as coupon_templates, till_codes
from services.issuance import coupons as issuance
from services.verification import instruments

USER = "2088000000004321"


@pytest.fixture()
def shop(db, make):
    merchant = provision_merchant(db.session, make.merchant(slug="quan", name="券店"))
    owner = make.staff(merchant, role="owner")
    store = make.store(merchant, "总店")
    member = make.member(merchant)
    db.session.add(MemberIdentity(merchant_id=merchant.id, member_id=member.id, kind="alipay_user_id", value=USER))
    db.session.add(SandboxUser(channel="alipay", app_id=merchant.alipay_app_id, user_key=USER, nickname="小支"))
    db.session.commit()
    return dict(merchant=merchant, owner=owner, store=store, member=member)


def template(db, owner, **overrides):
    values = dict(kind="cash", title="满50减10", amount_off=1000, min_spend=5000, validity_mode="relative",
                  valid_days=30)
    values.update(overrides)
    return coupon_templates.save_template(db.session, owner, None, **values)


def synced(db, shop, **overrides):
    row = template(db, shop["owner"], **overrides)
    activity = activities.sync(db.session, shop["merchant"], row.id)
    db.session.commit()
    assert activity.state == "active", activity.sync_error
    return row, activity


def vouchers(db, app_id):
    db.session.expire_all()
    return db.session.scalars(select(SandboxAlipayVoucher).where(SandboxAlipayVoucher.app_id == app_id)).all()


def claim(db, shop, template_id, key="c1", member_id=None):
    code = coupon_issue.claim(db.session, shop["merchant"], template_id, member_id or shop["member"].id,
                              channel="h5", key=key)
    db.session.commit()  # the deposit job runs after this commit
    return code


def test_does_a_cash_template_become_an_alipay_activity_with_its_terms(db, shop):
    row, activity = synced(db, shop)
    sandbox = db.session.scalars(select(SandboxAlipayVoucherActivity)).one()
    assert sandbox.activity_id == activity.activity_id and sandbox.app_id == shop["merchant"].alipay_app_id
    deduct = sandbox.payload["voucher_deduct_info"]
    assert deduct == {"voucher_type": "FIX_VOUCHER", "fix_voucher_info": {"amount": "10.00", "floor_amount": "50.00"}}
    assert sandbox.payload["voucher_use_rule_info"]["voucher_use_time_info"]["relative_period_info"][
        "valid_days_after_receive"] == 30
    again = activities.sync(db.session, shop["merchant"], row.id)
    assert again.activity_id == activity.activity_id  # once
    assert db.session.scalar(select(func.count()).select_from(SandboxAlipayVoucherActivity)) == 1


def test_is_a_discount_template_a_discount_voucher(db, shop):
    synced(db, shop, kind="discount", title="8.5折", amount_off=None, discount_percent=85, discount_cap=2000,
           min_spend=None)
    payload = db.session.scalars(select(SandboxAlipayVoucherActivity.payload)).one()
    assert payload["voucher_deduct_info"] == {"voucher_type": "DISCOUNT_VOUCHER", "discount_voucher_info": {
        "discount": "8.5", "ceiling_amount": "20.00"}}


def test_is_a_gift_template_refused_clearly(db, shop):
    row = template(db, shop["owner"], kind="gift", title="兑换一杯咖啡", amount_off=None, min_spend=None,
                   gift_item="咖啡")
    with pytest.raises(Conflict, match="只支持代金券和折扣券"):
        activities.sync(db.session, shop["merchant"], row.id)


def test_is_another_merchants_template_not_found(db, make, shop):
    other = make.merchant(slug="other")
    row = template(db, make.staff(other, role="owner"))
    db.session.commit()
    with pytest.raises(NotFound):
        activities.sync(db.session, shop["merchant"], row.id)
    assert db.session.scalar(select(func.count()).select_from(AlipayVoucherActivity)) == 0


def test_does_a_claimed_code_reach_the_alipay_card_package_once_even_when_the_job_runs_twice(client, db, shop):
    row, activity = synced(db, shop)
    code = claim(db, shop, row.id)
    held = vouchers(db, shop["merchant"].alipay_app_id)
    assert [(v.voucher_code, v.user_id, v.status) for v in held] == [(code.code, USER, "AVAILABLE")]
    assert voucher_jobs.deposit_code(db.session, shop["merchant"].id, code.id) == "deposited"
    assert voucher_jobs.deposit_template(db.session, shop["merchant"].id, row.id) == "done"
    assert len(vouchers(db, shop["merchant"].alipay_app_id)) == 1
    assert db.session.scalars(select(AlipayVoucherDeposit.state)).one() == "deposited"
    client.set_cookie(ALIPAY_USER_COOKIE, USER)
    page = client.get("/sandbox/phone/alipay-vouchers?m=quan").get_data(as_text=True)
    assert code.code in page and "可使用" in page and "¥10.00" in page


def test_does_a_verification_use_the_voucher_in_alipay_and_its_undo_make_it_usable_again(db, shop):
    row, _ = synced(db, shop)
    code = claim(db, shop, row.id)
    record = till_codes.verify(db.session, shop["owner"], code.code, store_id=shop["store"].id, method="manual",
                               key="v1", amount_received=8800)
    db.session.commit()
    assert [v.status for v in vouchers(db, shop["merchant"].alipay_app_id)] == ["USED"]
    assert voucher_jobs.follow_code(db.session, shop["merchant"].id, code.id) == "used"  # again: nothing doubles
    assert vouchers(db, shop["merchant"].alipay_app_id)[0].uses == 1

    instruments.undo(db.session, shop["owner"], record.id)
    db.session.commit()
    assert [v.status for v in vouchers(db, shop["merchant"].alipay_app_id)] == ["AVAILABLE"]
    till_codes.verify(db.session, shop["owner"], code.code, store_id=shop["store"].id, method="manual", key="v2")
    db.session.commit()
    held = vouchers(db, shop["merchant"].alipay_app_id)
    assert [(v.status, v.uses) for v in held] == [("USED", 2)]
    deposit = db.session.scalars(select(AlipayVoucherDeposit)).one()
    assert (deposit.state, deposit.uses, deposit.last_error) == ("used", 2, None)


def test_does_a_member_without_an_alipay_identity_get_nothing_in_alipay(db, make, shop):
    row, _ = synced(db, shop)
    stranger = make.member(shop["merchant"])
    db.session.commit()
    claim(db, shop, row.id, key="c2", member_id=stranger.id)
    assert vouchers(db, shop["merchant"].alipay_app_id) == []
    assert db.session.scalar(select(func.count()).select_from(AlipayVoucherDeposit)) == 0


def test_does_a_code_of_a_template_not_synced_stay_out_of_alipay(db, shop):
    row = template(db, shop["owner"])
    db.session.commit()
    claim(db, shop, row.id)
    assert vouchers(db, shop["merchant"].alipay_app_id) == []


def test_do_bulk_issued_codes_reach_the_card_packages_of_members_with_alipay(db, make, shop):
    row, _ = synced(db, shop)
    plain = make.member(shop["merchant"])
    db.session.commit()
    given = issuance.issue(db.session, shop["merchant"], row.id, sorted([shop["member"].id, plain.id]),
                           issuance.Occasion("bulk:1:", "bulk"), now=row.created_at)
    db.session.commit()
    assert len(given.member_ids) == 2
    assert [v.user_id for v in vouchers(db, shop["merchant"].alipay_app_id)] == [USER]


def test_is_alipays_refusal_kept_on_the_deposit_and_the_retry_succeeds(db, shop):
    row, activity = synced(db, shop)
    stopped = db.session.scalars(select(SandboxAlipayVoucherActivity)).one()
    stopped.status = "STOPPED"
    db.session.commit()
    code = claim(db, shop, row.id)  # the inline job fails and logs: the claim stands
    deposit = db.session.scalars(select(AlipayVoucherDeposit)).one()
    assert deposit.state == "pending" and "ACTIVITY_STATUS_ERROR" in deposit.last_error
    stopped = db.session.scalars(select(SandboxAlipayVoucherActivity)).one()
    stopped.status = "ACTIVE"
    db.session.commit()
    assert voucher_jobs.deposit_template(db.session, shop["merchant"].id, row.id) == "done"  # the pending one too
    assert [v.voucher_code for v in vouchers(db, shop["merchant"].alipay_app_id)] == [code.code]
    assert db.session.scalars(select(AlipayVoucherDeposit.last_error)).one() is None


def test_does_a_till_payment_with_the_coupon_use_it_in_alipay_and_a_full_refund_give_it_back(db, shop):
    from services.till import checkout, refunds as till_refunds

    row, _ = synced(db, shop)
    code = claim(db, shop, row.id)
    paid = checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id,
                        member_id=shop["member"].id, amount=10000, tender="cash", choice=None, seed="order-1",
                        key="till-1")
    db.session.commit()
    assert paid.coupon_code_ids == [code.id]
    assert [v.status for v in vouchers(db, shop["merchant"].alipay_app_id)] == ["USED"]
    till_refunds.refund(db.session, shop["owner"], paid.id, paid.pay, reason="退货", key="refund-1")
    db.session.commit()
    assert [v.status for v in vouchers(db, shop["merchant"].alipay_app_id)] == ["AVAILABLE"]


def test_does_the_simulated_phone_link_to_the_alipay_vouchers(client, db, shop):
    page = client.get("/sandbox/phone?m=quan").get_data(as_text=True)
    assert "/sandbox/phone/alipay-vouchers?m=quan" in page
    assert "请先在沙箱手机上选择一个支付宝用户" in client.get("/sandbox/phone/alipay-vouchers?m=quan").get_data(
        as_text=True)


def test_do_codes_members_held_before_the_sync_follow_it_into_alipay(db, shop):
    row = template(db, shop["owner"])
    db.session.commit()
    code = claim(db, shop, row.id)
    assert vouchers(db, shop["merchant"].alipay_app_id) == []
    activities.sync(db.session, shop["merchant"], row.id)
    db.session.commit()  # the template's codes are deposited by a job after this commit
    assert [v.voucher_code for v in vouchers(db, shop["merchant"].alipay_app_id)] == [code.code]


def test_does_a_coupon_given_to_a_friend_with_alipay_reach_the_friends_card_package(db, make, shop):
    from services.coupons import sharing

    row, _ = synced(db, shop, shareable=True)
    giver = make.member(shop["merchant"])
    db.session.commit()
    given = claim(db, shop, row.id, key="c-giver", member_id=giver.id)  # the giver has no Alipay identity
    token = sharing.create_share(db.session, shop["merchant"], giver.id, given.id)
    db.session.commit()
    got = sharing.accept(db.session, shop["merchant"], token, shop["member"].id)
    db.session.commit()
    assert [(v.voucher_code, v.user_id) for v in vouchers(db, shop["merchant"].alipay_app_id)] == [(got.code, USER)]


def test_do_six_deposit_jobs_at_once_put_one_voucher_in_alipay(app, db, shop):
    from services.shared import job_queue
    from tests.integration.helpers import run_concurrently

    row = template(db, shop["owner"])
    db.session.commit()
    code = claim(db, shop, row.id)  # not synced yet: nothing is queued
    activities.sync(db.session, shop["merchant"], row.id)
    db.session.info.pop(job_queue._PENDING, None)  # the jobs below stand in for the one the sync queued
    db.session.commit()
    merchant_id, code_id = shop["merchant"].id, code.id

    done, refused = run_concurrently(app, 6, lambda session, index: voucher_jobs.deposit_code(
        session, merchant_id, code_id))

    assert refused == [] and done == ["deposited"] * 6
    assert [v.voucher_code for v in vouchers(db, shop["merchant"].alipay_app_id)] == [code.code]
    assert db.session.scalar(select(func.count()).select_from(AlipayVoucherDeposit)) == 1


def test_does_the_periodic_catch_up_deposit_a_missed_code_and_follow_a_missed_use(db, make, shop):
    from services.shared import job_queue

    row, _ = synced(db, shop)
    code = claim(db, shop, row.id)
    db.session.execute(update(CouponCode).where(CouponCode.id == code.id).values(state="used"))  # no job followed
    missed = coupon_issue.claim(db.session, shop["merchant"], row.id, shop["member"].id, channel="h5", key="c2")
    db.session.info.pop(job_queue._PENDING, None)  # as if claimed by a process that did not know of the sync yet
    db.session.commit()

    assert voucher_jobs.catch_up_alipay_vouchers_everywhere(db.session) == 2
    held = {v.voucher_code: v.status for v in vouchers(db, shop["merchant"].alipay_app_id)}
    assert held == {code.code: "USED", missed.code: "AVAILABLE"}
    assert voucher_jobs.catch_up_alipay_vouchers_everywhere(db.session) == 0  # nothing left out of step
