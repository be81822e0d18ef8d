"""The "top up and get more" nudge after a payment, for members who never topped up.

The merchant chooses off / once per member / after every payment (StoredValueSettings.nudge_mode). "Once" is a
conditional UPDATE on `members.topup_nudged_at IS NULL`, so two payment pages opened at the same moment show it
once between them. The order page shows it after an online purchase; the till's receipt (issue 6) calls the same
function.
"""
from dataclasses import dataclass

from sqlalchemy import update

from domain.clock import now_utc
from models import Member, StoredValueSettings
from services.shared import merchant_memory
from services.wallet import stored_value
from services.shared.tenancy import scoped

MAX_TIERS_SHOWN = 3


@dataclass(frozen=True)
class Nudge:
    lines: tuple  # the best tiers in words: ('充 1000 送 100，赠 2 张满100减20', ...)


def offer(session, merchant, member, now=None):
    """A Nudge to show now, or None (off, already topped up, already nudged once, nothing on offer)."""
    if member.total_topup:
        return None
    nudge_mode, enabled = merchant_memory.recall("nudge", merchant.id, lambda: _mode(session, merchant.id))
    if nudge_mode == "off" or not enabled:
        return None
    tiers = stored_value.rules_in_force(session, merchant, now)
    if not tiers or not _claim_turn(session, member, nudge_mode, now or now_utc()):
        return None
    best = sorted(tiers, key=lambda t: (-(t.bonus + t.instalment_total) * 10_000 // t.pay_amount, t.pay_amount))
    previews = stored_value.previews(session, merchant.id, best[:MAX_TIERS_SHOWN])
    return Nudge(tuple(previews[tier.id] for tier in best[:MAX_TIERS_SHOWN]))


merchant_memory.watch(StoredValueSettings, "nudge")


def _mode(session, merchant_id):
    """(nudge mode, stored value enabled), remembered per process: every till payment asks."""
    row = session.scalars(scoped(StoredValueSettings, merchant_id)).one_or_none()
    return (row.nudge_mode, row.enabled) if row is not None else ("off", False)


def _claim_turn(session, member, mode, now):
    query = update(Member).where(Member.id == member.id)
    if mode == "once":
        query = query.where(Member.topup_nudged_at.is_(None))
    shown = session.execute(query.values(topup_nudged_at=now).execution_options(synchronize_session=False)).rowcount
    return shown == 1
