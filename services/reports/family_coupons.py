"""Coupons (卡券报表 · 优惠券): per day, the codes that came out of each template by channel, the uses and their undos
per store, and the codes that reached their end unused. Not incremental: a closed day is rebuilt from the raw rows,
today is summed live.

Keys (count, amount in fen), template ids and channels as stored:
- issued:<template>:<channel>: codes the merchant gave (GIVEN_CHANNELS: staff, bulk issues, campaigns, the follow
  gift, referral rewards), on the moment the code row was made (`coupon_codes.created_at`; a bulk issue's chunk
  stamps its codes with the chunk's moment). No store (0).
- claimed:<template>:<channel>: codes a member took themselves (CLAIMED_CHANNELS: the member centre, a QR or a
  menu, a message's link, the receipt QR, points exchange, a purchase), on the same moment. No store (0).
- shared:<template>: codes a friend received from a member (channel `friend`). The giver's code becomes
  `transferred`; neither is a new issue, so these are kept apart from both figures above.
- used:<template>: coupon verifications made that day (`verifications.created_at`), per the store they were made in;
  amount = the money the sale took (`amount_received`).
- undone:<template>: coupon verifications undone that day (`undone_at`: the 10-minute undo, or a refund at the till
  that gives the coupon back), per the verification's store, with its amount. A use stays counted on its own day;
  its undo is counted on the day it happened, so net uses over a period are used - undone and no closed day ever
  changes when a use is undone later.
- expired:<template>: codes whose validity ended that day (`coupon_codes.ends_at`, exclusive: a code valid through
  the 9th ends at the 10th's midnight and counts on the 10th) while still waiting to be used (state available, or
  expired should a job ever write it); today, only the ends already passed. No store (0).

Why the end of validity rather than a state change: nothing writes `expired` on codes (the wallet and the till read
`ends_at`), and a job's moment would move a code to whichever day the job ran. `ends_at` is fixed when the code is
made, and after it nothing can use the code or give it to a friend (both require `ends_at > now`), so a closed
day's figure stays what it was. The one exception: a refund of the order that bought a code voids it even after
its end (services/orders/refunds.py refunds unused bought codes), which takes it out of a later rebuild of its day.
"""
from sqlalchemy import Integer, String, cast, func, literal, select, union_all

from domain import coupons as rules
from domain.clock import now_utc
from models.coupons import CouponCode, Verification
from services.reports.families import register

FAMILY = "coupons"
GIVEN_CHANNELS = ("staff", "bulk", "campaign", "follow_gift", "referral")
CLAIMED_CHANNELS = ("h5", "menu", "poster_qr", "shop_qr", "mass_message", "template_message", "receipt_qr",
                    "points_exchange", "purchase")
SHARED_CHANNEL = "friend"  # the three cover models.coupons.CHANNELS (tests/integration/reports check they do)
WAITING_STATES = (rules.AVAILABLE, rules.EXPIRED)


@register(FAMILY)
def day_rows(window):
    merchant, start, end = window.merchant_id, window.start, window.end
    made = (CouponCode.merchant_id == merchant, CouponCode.created_at >= start, CouponCode.created_at < end)
    template = cast(CouponCode.template_id, String)
    no_store, nothing = literal(0, Integer), literal(0, Integer)
    parts = [
        select(no_store, literal("issued:", String) + template + literal(":", String) + CouponCode.channel,
               func.count(), nothing)
        .where(*made, CouponCode.channel.in_(GIVEN_CHANNELS)).group_by(CouponCode.template_id, CouponCode.channel),
        select(no_store, literal("claimed:", String) + template + literal(":", String) + CouponCode.channel,
               func.count(), nothing)
        .where(*made, CouponCode.channel.in_(CLAIMED_CHANNELS)).group_by(CouponCode.template_id, CouponCode.channel),
        select(no_store, literal("shared:", String) + template, func.count(), nothing)
        .where(*made, CouponCode.channel == SHARED_CHANNEL).group_by(CouponCode.template_id),
        _verifications(window, "used:", Verification.created_at),
        _verifications(window, "undone:", Verification.undone_at),
        select(no_store, literal("expired:", String) + template, func.count(), nothing)
        .where(CouponCode.merchant_id == merchant, CouponCode.ends_at >= start, CouponCode.ends_at < end,
               CouponCode.ends_at <= now_utc(),  # today: only the ends already passed, so the figure only grows
               CouponCode.state.in_(WAITING_STATES)).group_by(CouponCode.template_id),
    ]
    united = union_all(*parts).subquery()
    columns = list(united.c)
    return select(columns[0].label("store_id"), columns[1].label("key"), columns[2].label("count"),
                  columns[3].label("amount"))


def _verifications(window, prefix, moment):
    """Coupon verifications whose `moment` falls in the day, per store and template."""
    return (select(Verification.store_id, literal(prefix, String) + cast(CouponCode.template_id, String),
                   func.count(), func.sum(Verification.amount_received))
            .join(CouponCode, CouponCode.id == Verification.coupon_code_id)
            .where(Verification.merchant_id == window.merchant_id, moment >= window.start, moment < window.end,
                   Verification.instrument_type == "coupon")
            .group_by(Verification.store_id, CouponCode.template_id))
