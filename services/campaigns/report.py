"""What a campaign earned (效果): per campaign and per run, targeted, rewarded, held out, skipped per reason,
messaged; the codes it gave (by the partial index of coupon_codes.campaign_id) claimed, used and expired; the
payments that used them and the money paid; the cost (face value used, points given, SMS sent); the uplift over
the holdout (share of members who paid and spend per member since the run, treated against held out); a daily
series for the chart, and the same as CSV/XLSX rows.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from domain.clock import now_utc, to_local
from models import Campaign, CampaignRun, CampaignTarget, Checkout, CouponCode, CouponTemplate, Merchant, Send
from services.outreach.report import money_paid_with
from services.shared.tenancy import get_owned, scoped

SKIP_LABELS = {"budget": "预算已用完", "nothing_left": "奖励已发完或超出每人限领", "ended": "活动已结束",
               "inactive": "会员已停用"}


@dataclass
class Uplift:
    treated: int
    held_out: int
    treated_paying: int
    held_out_paying: int
    treated_spend: int  # fen, since the runs
    held_out_spend: int

    @staticmethod
    def _rate(part, whole):
        return part * 100 / whole if whole else 0.0

    @property
    def treated_rate(self):
        return self._rate(self.treated_paying, self.treated)

    @property
    def held_out_rate(self):
        return self._rate(self.held_out_paying, self.held_out)

    @property
    def rate_points(self):
        """Percentage points of members paying, treated minus held out."""
        return self.treated_rate - self.held_out_rate

    @property
    def spend_per_member_gain(self):
        """Fen per member, treated minus held out."""
        return (self.treated_spend // self.treated if self.treated else 0) - (
            self.held_out_spend // self.held_out if self.held_out else 0)


@dataclass
class Report:
    campaign: Campaign
    runs: list
    targeted: int = 0
    rewarded: int = 0
    held_out: int = 0
    skipped: dict = field(default_factory=dict)  # reason -> members
    capped: int = 0  # rewarded, not messaged: over the weekly cap
    messaged: dict = field(default_factory=dict)  # channel -> members
    codes: dict = field(default_factory=dict)  # state -> codes
    money_paid: int = 0  # fen, payments that used the campaign's coupons
    face_value_used: int = 0  # fen, cash coupons used
    points_given: int = 0
    sms_units: int = 0
    uplift: Uplift | None = None
    daily: list = field(default_factory=list)  # (local day ISO, codes given, codes used)

    @property
    def codes_given(self):
        return sum(self.codes.values())


def of(session, merchant_id, campaign_id):
    campaign = get_owned(session, Campaign, merchant_id, campaign_id)
    runs = session.scalars(scoped(CampaignRun, merchant_id).where(CampaignRun.campaign_id == campaign.id)
                           .order_by(CampaignRun.id.desc())).all()
    report = Report(campaign=campaign, runs=runs)
    report.targeted = sum(r.targeted for r in runs)
    report.held_out = sum(r.holdout for r in runs)
    report.rewarded = sum(r.rewarded for r in runs)
    report.points_given = sum(r.points for r in runs)
    _targets(session, campaign, report)
    _codes(session, campaign, report)
    _sends(session, campaign, runs, report)
    if report.held_out:
        report.uplift = _uplift(session, campaign, runs)
    report.daily = _daily(session, campaign)
    return report


def figures(session, merchant_id, campaign_ids):
    """{campaign id: (runs, rewarded, coupons)} for the list, one query."""
    if not campaign_ids:
        return {}
    rows = session.execute(select(CampaignRun.campaign_id, func.count(), func.sum(CampaignRun.rewarded),
                                  func.sum(CampaignRun.coupons))
                           .where(CampaignRun.merchant_id == merchant_id,
                                  CampaignRun.campaign_id.in_(list(campaign_ids)))
                           .group_by(CampaignRun.campaign_id))
    return {cid: (n, rewarded or 0, coupons or 0) for cid, n, rewarded, coupons in rows}


def rows(report):
    """The report as spreadsheet rows: the totals, then one row per run."""
    table = [["活动", report.campaign.name], ["覆盖会员", report.targeted], ["已发放", report.rewarded],
             ["对照组", report.held_out], ["发券张数", report.codes_given], ["已核销", report.codes.get("used", 0)],
             ["已过期", report.codes.get("expired", 0)], ["带动消费(元)", report.money_paid / 100],
             ["核销面值(元)", report.face_value_used / 100], ["赠送积分", report.points_given],
             ["短信条数", report.sms_units]]
    for reason, members in sorted(report.skipped.items()):
        table.append([f"跳过：{SKIP_LABELS.get(reason, reason)}", members])
    if report.uplift:
        table += [["发放组到店率(%)", round(report.uplift.treated_rate, 2)],
                  ["对照组到店率(%)", round(report.uplift.held_out_rate, 2)],
                  ["人均消费提升(元)", report.uplift.spend_per_member_gain / 100]]
    table += [[], ["执行批次", "覆盖", "对照组", "已发放", "跳过", "发券", "积分", "通知", "状态"]]
    table += [[r.occasion, r.targeted, r.holdout, r.rewarded, r.skipped, r.coupons, r.points, r.notices, r.state]
              for r in report.runs]
    table += [[], ["日期", "发券", "核销"]] + [list(day) for day in report.daily]
    return table


def _targets(session, campaign, report):
    for state, reason, members in session.execute(
            select(CampaignTarget.state, CampaignTarget.reason, func.count())
            .where(CampaignTarget.merchant_id == campaign.merchant_id, CampaignTarget.campaign_id == campaign.id)
            .group_by(CampaignTarget.state, CampaignTarget.reason)):
        if state == "skipped":
            report.skipped[reason] = report.skipped.get(reason, 0) + members
        elif state == "rewarded" and reason == "capped":
            report.capped += members


def _campaign_codes(campaign):
    return (CouponCode.merchant_id == campaign.merchant_id, CouponCode.campaign_id == campaign.id)


def _codes(session, campaign, report):
    report.codes = dict(session.execute(select(CouponCode.state, func.count()).where(*_campaign_codes(campaign))
                                        .group_by(CouponCode.state)).all())
    if not report.codes.get("used"):
        return
    used = select(CouponCode.id).where(*_campaign_codes(campaign), CouponCode.state == "used")
    report.money_paid = money_paid_with(session, campaign.merchant_id, used)
    report.face_value_used = session.scalar(
        select(func.coalesce(func.sum(CouponTemplate.amount_off), 0)).select_from(CouponCode)
        .join(CouponTemplate, CouponTemplate.id == CouponCode.template_id)
        .where(*_campaign_codes(campaign), CouponCode.state == "used"))


def _sends(session, campaign, runs, report):
    notices = sum(r.notices for r in runs if (r.message or {}).get("channel") == "notice")
    if notices:
        report.messaged["notice"] = notices
    send_ids = [r.send_id for r in runs if r.send_id]
    if not send_ids:
        return
    for send in session.scalars(select(Send).where(Send.merchant_id == campaign.merchant_id, Send.id.in_(send_ids))):
        report.sms_units += send.sms_units
        report.messaged[send.channel] = report.messaged.get(send.channel, 0) + send.handled


def _uplift(session, campaign, runs):
    """Members who paid, and what they paid, since their run started: treated against held out."""
    since = min(r.created_at for r in runs)
    paid = (select(Checkout.member_id, func.sum(Checkout.pay - Checkout.refunded_amount).label("spend"))
            .where(Checkout.merchant_id == campaign.merchant_id, Checkout.created_at >= since,
                   Checkout.member_id.is_not(None))
            .group_by(Checkout.member_id).subquery())
    groups = {}
    for state, members, paying, spend in session.execute(
            select(CampaignTarget.state, func.count(func.distinct(CampaignTarget.member_id)),
                   func.count(func.distinct(paid.c.member_id)), func.coalesce(func.sum(paid.c.spend), 0))
            .outerjoin(paid, paid.c.member_id == CampaignTarget.member_id)
            .where(CampaignTarget.merchant_id == campaign.merchant_id, CampaignTarget.campaign_id == campaign.id,
                   CampaignTarget.state.in_(("rewarded", "holdout")))
            .group_by(CampaignTarget.state)):
        groups[state] = (members, paying, int(spend))
    treated, held = groups.get("rewarded", (0, 0, 0)), groups.get("holdout", (0, 0, 0))
    return Uplift(treated[0], held[0], treated[1], held[1], treated[2], held[2])


def _daily(session, campaign):
    """(local day, codes given, codes used) per day, oldest first, grouped in the database."""
    merchant = session.get(Merchant, campaign.merchant_id)
    dialect = session.get_bind().dialect.name
    given = dict(session.execute(select(_local_day(CouponCode.created_at, merchant.timezone, dialect).label("d"),
                                        func.count()).where(*_campaign_codes(campaign)).group_by("d")).all())
    used = dict(session.execute(select(_local_day(CouponCode.used_at, merchant.timezone, dialect).label("d"),
                                       func.count()).where(*_campaign_codes(campaign), CouponCode.used_at.is_not(None))
                                .group_by("d")).all())
    return [(day, given.get(day, 0), used.get(day, 0)) for day in sorted(set(given) | set(used))]


def _local_day(column, tz_name, dialect):
    """The local date of a UTC time as 'YYYY-MM-DD'. SQLite has no zones: the zone's offset now is used."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz_name, column), "YYYY-MM-DD")
    minutes = int(to_local(now_utc(), tz_name).utcoffset().total_seconds() // 60)
    return func.strftime("%Y-%m-%d", column, f"{minutes:+d} minutes")
