"""The merchant's commission rule (提成规则): what a staff member earns per new member, the share of top-ups and card
sales they brought in, and the share of their guided members' spending for some days after binding; saved
(owner/admin, audited) and read by the earning side through the process's short merchant memory."""
from dataclasses import dataclass

from sqlalchemy import select

from domain import commission as rules
from domain.errors import DomainError, PermissionDenied
from domain.money import format_yuan
from models.commission import CommissionRule
from services.merchant import audit
from services.shared import merchant_memory

FIELDS = ("enabled", "per_new_member", "topup_bp", "card_sale_bp", "guided_spend_bp", "guided_spend_days")
DEFAULTS = {"enabled": False, "per_new_member": 0, "topup_bp": 0, "card_sale_bp": 0, "guided_spend_bp": 0,
            "guided_spend_days": 0}


@dataclass(frozen=True)
class Rule:
    """The rule as plain values (never an ORM row: the memory is shared by the threads of a process)."""

    enabled: bool = False
    per_new_member: int = 0
    topup_bp: int = 0
    card_sale_bp: int = 0
    guided_spend_bp: int = 0
    guided_spend_days: int = 0

    @property
    def earns_anything(self):
        return self.enabled and any((self.per_new_member, self.topup_bp, self.card_sale_bp, self.guided_spend_bp))


OFF = Rule()
merchant_memory.watch(CommissionRule, "commission_rule")


def rule_for_earning(session, merchant_id):
    """The rule as earning reads it (remembered per process); OFF while the merchant never saved one."""
    def load():
        row = session.get(CommissionRule, merchant_id)
        return Rule(**{name: getattr(row, name) for name in FIELDS}) if row is not None else OFF

    return merchant_memory.recall("commission_rule", merchant_id, load)


def rule_row(session, merchant_id):
    """The saved row, or an unsaved one with the defaults (the form shows it; nothing is written by reading)."""
    row = session.scalars(select(CommissionRule).where(CommissionRule.merchant_id == merchant_id)).one_or_none()
    return row if row is not None else CommissionRule(merchant_id=merchant_id, **DEFAULTS)


def save(session, actor, ip=None, **values):
    """Replace the whole rule (the form sends every field) after the domain checks; audited with what changed."""
    if not actor.can("commission.manage"):
        raise PermissionDenied("只有店主或管理员可以设置提成规则")
    missing = [name for name in FIELDS if name not in values]
    if missing:
        raise DomainError("提成规则不完整", missing=missing)
    values = {name: values[name] for name in FIELDS}
    values["enabled"] = rules.check_rule(**values)
    row = session.get(CommissionRule, actor.merchant_id)
    created = row is None
    if created:
        row = CommissionRule(merchant_id=actor.merchant_id, **DEFAULTS)
        session.add(row)
    before = {name: getattr(row, name) for name in FIELDS}
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    changed_before, changed_after = (None, values) if created else audit.changed_only(before, values)
    if changed_after:
        audit.record(session, actor, "commission.rule", "commission_rule", actor.merchant_id, changed_before,
                     changed_after, ip=ip)
    return row


def describe(rule):
    """What the saved rule pays, in sentences for the page (empty when it is off)."""
    if not rule.enabled:
        return []
    lines = []
    if rule.per_new_member:
        lines.append(f"店员每拉新一位会员得 ¥{format_yuan(rule.per_new_member)}")
    if rule.topup_bp:
        lines.append(f"店员带来的储值充值按 {rules.percent_text(rule.topup_bp)}% 提成"
                     f"（充值 ¥1000 得 ¥{format_yuan(rules.share_of(100000, rule.topup_bp))}）")
    if rule.card_sale_bp:
        lines.append(f"店员带来的售卡（礼品卡、次卡、时长卡、权益卡、付费会员）按 {rules.percent_text(rule.card_sale_bp)}% 提成")
    if rule.guided_spend_bp:
        lines.append(f"专属导购在会员绑定后 {rule.guided_spend_days} 天内，按会员门店消费实付的 "
                     f"{rules.percent_text(rule.guided_spend_bp)}% 提成")
    return lines or ["已开启，但各项提成都为 0，不会产生提成"]
