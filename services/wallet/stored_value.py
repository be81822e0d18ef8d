"""Stored value: the merchant's switch and guard rails, top-up tiers, and pricing a member's top-up.

The price of a top-up is always computed here from the rules in force, never taken from the browser; the
order keeps that snapshot in `items`, and services/orders/fulfilment.topup gives exactly what it says.

Instalments (the part of a tier's bonus paid monthly after the top-up) are paid by pay_due_instalments, which a
periodic job runs: the n-th falls n months after payment, and each carries the key order:<id>:instalment:<n>, so
a rerun, or a run after a missed month, pays every due instalment exactly once.
"""
from datetime import timedelta

from sqlalchemy import func, select, update

from domain import orders as order_rules
from domain import stored_value as rules
from domain.clock import local_today, now_utc, to_local
from domain.errors import Conflict, DomainError, WalletFrozen
from models import (CouponCode, CouponTemplate, Member, Merchant, Order, StoredValueSettings, TopupRule,
                    WalletTransaction)
from services.merchant import audit
from services.shared import idempotency, merchant_memory
from services.orders import orders
from services.wallet import journal as wallet
from services.shared.tenancy import get_owned, owned_ids, scoped

SETTING_FIELDS = ("allow_custom_amount", "custom_min", "custom_max", "nudge_mode", "max_balance",
                  "anonymous_max_face", "real_name_threshold")
RULE_FIELDS = ("pay_amount", "bonus", "instalment_total", "instalment_months", "points", "growth", "coupons",
               "active", "sort", "starts_on", "ends_on")


def settings_of(session, merchant_id):
    """The merchant's settings; a merchant that never saved any gets the defaults (stored value off)."""
    row = session.scalars(scoped(StoredValueSettings, merchant_id)).one_or_none()
    if row is None:
        row = StoredValueSettings(merchant_id=merchant_id, enabled=False, allow_custom_amount=False,
                                  nudge_mode="off", **rules.DEFAULTS)
        session.add(row)
        session.flush()
    return row


def save_settings(session, actor, **values):
    """Custom amount range, nudge and guard rails. `enabled` is not among them: see enable()."""
    row = settings_of(session, actor.merchant_id)
    values = {name: values[name] for name in SETTING_FIELDS}
    rules.check_settings(**{k: v for k, v in values.items() if k != "allow_custom_amount"})
    before = {name: getattr(row, name) for name in SETTING_FIELDS}
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    audit.record(session, actor, "stored_value.settings", "stored_value_settings", row.id, before=before,
                 after=values)
    return row


def enable(session, actor, now=None):
    """Turn stored value on, for good: there is no way back, since members then hold prepaid balances."""
    row = settings_of(session, actor.merchant_id)
    now = now or now_utc()
    changed = session.execute(
        update(StoredValueSettings).where(StoredValueSettings.id == row.id, StoredValueSettings.enabled.is_(False))
        .values(enabled=True, enabled_at=now).execution_options(synchronize_session=False)).rowcount
    session.expire(row)
    merchant_memory.forget(actor.merchant_id)  # a bulk UPDATE is not seen by merchant_memory's flush watch
    if changed != 1:
        raise Conflict("储值功能已开启")
    audit.record(session, actor, "stored_value.enable", "stored_value_settings", row.id,
                 before={"enabled": False}, after={"enabled": True})
    return row


def rules_of(session, merchant_id):
    """Every tier, regular ones first, then special periods by date."""
    return session.scalars(scoped(TopupRule, merchant_id).order_by(
        TopupRule.starts_on.is_not(None), TopupRule.starts_on, TopupRule.sort, TopupRule.pay_amount,
        TopupRule.id)).all()


def save_rule(session, actor, rule, **values):
    """Create (rule None) or edit a tier. Coupons must be this merchant's own templates."""
    values = {name: values[name] for name in RULE_FIELDS}
    values["coupons"] = [{"template_id": int(c["template_id"]), "count": c["count"]} for c in values["coupons"]]
    rules.check_rule(**{k: v for k, v in values.items() if k not in ("active", "sort")})
    owned_ids(session, CouponTemplate, actor.merchant_id, [c["template_id"] for c in values["coupons"]])
    before = None
    if rule is None:
        rule = TopupRule(merchant_id=actor.merchant_id)
        session.add(rule)
    else:
        before = {name: _plain(getattr(rule, name)) for name in RULE_FIELDS}
    for name, value in values.items():
        setattr(rule, name, value)
    session.flush()
    audit.record(session, actor, "topup_rule.save", "topup_rule", rule.id, before=before,
                 after={name: _plain(value) for name, value in values.items()})
    return rule


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def rules_in_force(session, merchant, now=None):
    today = local_today(merchant.timezone, now or now_utc())
    return rules.in_force(rules_of(session, merchant.id), today)


def coupon_titles(session, merchant_id, tiers):
    ids = {c["template_id"] for tier in tiers for c in tier.coupons}
    if not ids:
        return {}
    return dict(session.execute(select(CouponTemplate.id, CouponTemplate.title)
                                .where(CouponTemplate.merchant_id == merchant_id, CouponTemplate.id.in_(ids))).all())


def previews(session, merchant_id, tiers):
    """{rule id: '充 100 送 10，赠 2 张满100减20'}."""
    titles = coupon_titles(session, merchant_id, tiers)
    return {tier.id: rules.preview(tier, titles) for tier in tiers}


def quote(session, merchant, member, *, rule_id=None, custom_amount=None, now=None):
    """(amount, items) for a top-up by `member`: a tier in force today, or a custom amount when allowed.

    Refused when stored value is off, the wallet is frozen, or the balance would pass the named-card cap.
    """
    settings = settings_of(session, merchant.id)
    if not settings.enabled:
        raise DomainError("本店暂未开通储值")
    if rule_id is not None:
        tier = next((t for t in rules_in_force(session, merchant, now) if t.id == rule_id), None)
        if tier is None:
            raise DomainError("该充值档位已失效，请刷新页面后重新选择")
        priced = rules.quote_rule(tier)
    elif custom_amount is not None:
        priced = rules.quote_custom(custom_amount, allowed=settings.allow_custom_amount,
                                    custom_min=settings.custom_min, custom_max=settings.custom_max)
    else:
        raise DomainError("请选择充值金额")
    _check_coupons_available(session, merchant.id, member.id, priced.items["coupons"])
    purse = wallet.member_wallet(session, merchant.id, member.id)
    if purse.frozen:
        raise WalletFrozen("储值账户已冻结，暂不能充值")
    rules.check_balance_cap(purse.principal + purse.bonus, priced.items, settings.max_balance)
    return priced.amount, priced.items


def _check_coupons_available(session, merchant_id, member_id, entries):
    """Refuse now rather than after payment: a tier whose coupons could not be granted is not sold."""
    for entry in entries:
        template = session.get(CouponTemplate, entry["template_id"])
        if template is None or template.merchant_id != merchant_id or not template.active:
            raise Conflict("该充值档位的赠券已停止发放，请选择其他档位")
        if template.stock_total is not None and template.stock_total - template.stock_issued < entry["count"]:
            raise Conflict("该充值档位的赠券已领完，请选择其他档位")
        if template.per_member_limit is not None:
            held = session.scalar(select(func.count(CouponCode.id)).where(
                CouponCode.template_id == template.id, CouponCode.member_id == member_id))
            if held + entry["count"] > template.per_member_limit:
                raise Conflict("该充值档位的赠券已超过您的领取上限，请选择其他档位")


def create_topup_order(session, merchant, member_id, *, channel, key, rule_id=None, custom_amount=None, now=None):
    """An unpaid top-up order priced by quote(); the same key returns the same order."""
    member = get_owned(session, Member, merchant.id, member_id)
    amount, items = quote(session, merchant, member, rule_id=rule_id, custom_amount=custom_amount, now=now)
    description = f"{merchant.name[:60]} 储值充值 {rules.short_yuan(amount)} 元"
    return orders.create(session, merchant, member.id, kind="topup", channel=channel, amount=amount,
                         description=description, items=items, key=key, now=now)


# Longest plan plus slack: older top-ups can have nothing left to pay.
INSTALMENT_HORIZON = timedelta(days=31 * (rules.MAX_INSTALMENT_MONTHS + 1))


def instalment_orders(session, now=None):
    """Ids of fulfilled top-ups recent enough to have instalments still to pay, oldest first."""
    now = now or now_utc()
    rows = session.execute(select(Order.id, Order.items).where(
        Order.kind == "topup", Order.state == order_rules.FULFILLED, Order.refunded_amount == 0,
        Order.paid_at >= now - INSTALMENT_HORIZON).order_by(Order.paid_at, Order.id)).all()
    return [order_id for order_id, items in rows if (items or {}).get("instalments", {}).get("months")]


def pay_due_instalments(session, order, now=None):
    """Credit every instalment of `order` due by now (in the merchant's local dates); returns how many were new.

    Refunded orders get nothing more. A frozen wallet still receives them: freezing stops spending only.
    """
    now = now or now_utc()
    plan = (order.items or {}).get("instalments") or {}
    if order.state != order_rules.FULFILLED or order.refunded_amount or not plan.get("months"):
        return 0
    merchant = session.get(Merchant, order.merchant_id)
    paid_on = to_local(order.paid_at, merchant.timezone).date()
    due = rules.instalments_due(paid_on, plan["months"], local_today(merchant.timezone, now))
    purse = wallet.member_wallet(session, merchant.id, order.member_id)
    paid = 0
    for n in range(1, due + 1):
        key = f"order:{order.id}:instalment:{n}"
        if idempotency.find_existing(session, WalletTransaction, merchant.id, key) is not None:
            continue  # paid by an earlier run; credit() would also return it unchanged under a race
        wallet.credit(session, merchant.id, purse.id, 0, plan["schedule"][n - 1], key=key,
                      reference=("order", order.id), note=f"充值分期赠送 {n}/{plan['months']}",
                      store_id=order.store_id)
        paid += 1
    return paid
