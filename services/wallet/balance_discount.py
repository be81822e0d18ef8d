"""储值折上折 rules of a merchant: saved, listed, and the rate a member's balance earns today."""
from sqlalchemy import select

from domain import balance_discount as rules
from domain.clock import local_today
from domain.errors import DomainError
from models import BalanceDiscountRule
from services.merchant import audit
from services.shared import merchant_memory
from services.shared.tenancy import get_owned, scoped


def list_rules(session, merchant_id):
    return session.scalars(scoped(BalanceDiscountRule, merchant_id)
                           .order_by(BalanceDiscountRule.starts_on.is_not(None), BalanceDiscountRule.starts_on,
                                     BalanceDiscountRule.min_balance)).all()


def _as_rule(row):
    return rules.Rule(row.min_balance, row.discount_percent, row.starts_on, row.ends_on)


def save_rule(session, actor, rule_id, *, min_balance, discount_percent, starts_on=None, ends_on=None, active=True,
              ip=None):
    """Create (rule_id None) or update a rule of the actor's merchant."""
    rules.check(rules.Rule(min_balance, discount_percent, starts_on, ends_on))
    if rule_id is None:
        if len(list_rules(session, actor.merchant_id)) >= rules.MAX_RULES:
            raise DomainError(f"最多设置 {rules.MAX_RULES} 条折上折规则")
        row = BalanceDiscountRule(merchant_id=actor.merchant_id)
        session.add(row)
        before = None
    else:
        row = get_owned(session, BalanceDiscountRule, actor.merchant_id, rule_id)
        before = {"min_balance": row.min_balance, "discount_percent": row.discount_percent}
    row.min_balance, row.discount_percent = min_balance, discount_percent
    row.starts_on, row.ends_on, row.active = starts_on, ends_on, bool(active)
    session.flush()
    audit.record(session, actor, "balance_discount.save", "balance_discount_rule", row.id, before=before,
                 after={"rule": rules.describe(_as_rule(row)), "active": row.active}, ip=ip)
    return row


def delete_rule(session, actor, rule_id, ip=None):
    row = get_owned(session, BalanceDiscountRule, actor.merchant_id, rule_id)
    audit.record(session, actor, "balance_discount.delete", "balance_discount_rule", row.id,
                 before={"rule": rules.describe(_as_rule(row))}, ip=ip)
    session.delete(row)
    session.flush()


merchant_memory.watch(BalanceDiscountRule, "balance_discount")


def rate_today(session, merchant, balance, now=None):
    """The discount (tenths) a balance earns today in the merchant's timezone, or None (for the checkout)."""
    def load():
        return tuple(_as_rule(r) for r in session.scalars(select(BalanceDiscountRule).where(
            BalanceDiscountRule.merchant_id == merchant.id, BalanceDiscountRule.active.is_(True))))

    active = merchant_memory.recall("balance_discount", merchant.id, load)
    return rules.rate_for(balance, list(active), local_today(merchant.timezone, now))


def describe(row):
    return rules.describe(_as_rule(row))
