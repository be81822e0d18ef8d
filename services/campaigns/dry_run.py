"""A dry run (试运行): who a campaign would give to if it ran now, before it is switched on: the count, the holdout,
twenty of them, and the sentence the merchant reads ("今天将向 1,234 位会员发放…")."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from domain import campaigns as rules
from domain.clock import local_today, now_utc
from models import Member, Merchant
from services.campaigns import setup, targets

SAMPLE = 20
LOOK_AHEAD = timedelta(days=rules.MAX_CATCH_UP_DAYS)  # a holiday range this close is the one a dry run shows


@dataclass(frozen=True)
class DryRun:
    total: int
    holdout: int
    sample: list  # members
    sentence: str

    @property
    def treated(self):
        return self.total - self.holdout


def preview(session, campaign, now=None):
    now = now or now_utc()
    merchant = session.get(Merchant, campaign.merchant_id)
    occasion = _occasion_now(campaign, merchant, now)
    total = holdout = 0
    sample_ids = []
    for chosen in targets.selections(session, campaign, merchant, occasion, now):
        rows = targets.not_yet_targeted(campaign, chosen).subquery()
        counted, held = session.execute(select(func.count(), func.count().filter(rows.c.state == "holdout"))
                                        .select_from(rows)).one()
        total, holdout = total + counted, holdout + held
        if len(sample_ids) < SAMPLE:
            sample_ids += session.scalars(select(rows.c.member_id).order_by(rows.c.member_id)
                                          .limit(SAMPLE - len(sample_ids))).all()
    sample = session.scalars(select(Member).where(Member.id.in_(sample_ids)).order_by(Member.id)).all()
    return DryRun(total, holdout, sample, _sentence(session, campaign, total, holdout))


def _occasion_now(campaign, merchant, now):
    """The occasion a run now would be for: today's, the current or next holiday range, the one-off."""
    today = local_today(merchant.timezone, now)
    if campaign.kind == "holiday":
        ahead = rules.occasions_due("holiday", campaign.schedule, tz_name=merchant.timezone, since=now,
                                    now=now + LOOK_AHEAD)
        if ahead:
            return rules.Occasion(ahead[0].key, now, today)
    if campaign.kind in ("one_off", "audience_entry"):
        return rules.Occasion("once", now, today)
    return rules.Occasion(today.isoformat(), now, today)


def _sentence(session, campaign, total, holdout):
    gift = setup.rewards_text(session, campaign.rewards) or "奖励"
    if total == 0:
        return "如果现在运行，没有会员符合条件"
    text = f"今天将向 {total - holdout:,} 位会员发放{gift}"
    if holdout:
        text += f"，另有 {holdout:,} 位留作对照组（不发放）"
    return text
