"""Audit entries as sentences a merchant reads: "生日 从 1990-03-12 改为 1991-01-01", never the stored JSON.

An audit entry keeps the before and after of the fields a staff action changed (services/merchant/audit.py). This
module turns them into short Chinese lines for the member page's 操作记录 and the 操作日志 page: the action's name,
then one line per changed field, with the field's name (FIELD_LABELS, the merchant's own member fields for
custom_fields), the value in words (money in yuan, ids as the names of stores, staff, levels and tags, codes as their
labels) and secrets never shown. Nested settings (rewards, schedules, filters) are summed up as "已修改", not dumped.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _, lazy_gettext as _l

from domain import campaigns as campaign_rules, cards as card_rules, coupons as coupon_rules, orders as order_rules
from domain.money import format_yuan
from domain.roles import ROLE_LABELS
from models.member import FIELD_TYPE_LABELS, GENDER_LABELS, IDENTITY_LABELS, MEMBER_STATUS_LABELS

ACTION_LABELS = {
    "member.create": _l("新增会员"), "member.update": _l("修改会员资料"), "member.set_level": _l("调整会员等级"),
    "member.bind_identity": _l("绑定身份"), "wallet.freeze": _l("冻结储值"), "wallet.unfreeze": _l("解冻储值"),
    "member.guide": _l("更换专属导购"), "guide.bulk_move": _l("批量转移导购会员"),
    "member_card.lost": _l("实体卡挂失"), "member_card.replace": _l("补办实体卡"), "member_card.return": _l("退实体卡"),
    "level.create": _l("新增等级"), "level.update": _l("修改等级"), "store.create": _l("新增门店"),
    "store.update": _l("修改门店"), "staff.create": _l("新增员工"), "staff.update": _l("修改员工"),
    "merchant.settings": _l("修改设置"), "merchant.credentials": _l("修改渠道凭证"),
    "member_field.save": _l("保存会员字段"), "api_key.create": _l("新建接口密钥"), "api_key.revoke": _l("停用接口密钥"),
    "audience.save": _l("保存人群"), "audience.delete": _l("删除人群"),
    "balance_discount.save": _l("保存折上折规则"), "balance_discount.delete": _l("删除折上折规则"),
    "benefit_card.save": _l("保存权益卡"), "benefit_card.issue": _l("发放权益卡"), "benefit_card.refund": _l("权益卡退卡"),
    "membership.save": _l("保存付费会员方案"),
    "card.void": _l("作废卡"), "gift_card.void": _l("作废礼品卡"), "gift_card.batch_create": _l("生成实体礼品卡"),
    "gift_card.batch_export": _l("导出礼品卡卡密"), "card_stock.batch_make": _l("制作实体会员卡"),
    "card_stock.batch_resume": _l("继续制卡"),
    "card_stock.batch_export": _l("导出实体卡制卡文件"), "card_stock.issue_store": _l("实体卡发放到门店"),
    "card_stock.issue": _l("实体卡发卡"), "card_stock.return": _l("收回作废实体卡"), "campaign.save": _l("保存营销活动"),
    "checkout.settings": _l("修改收银设置"), "checkout.multiplier_day.save": _l("保存多倍积分日"),
    "checkout.multiplier_day.delete": _l("删除多倍积分日"), "order.refund": _l("订单退款"),
    "order.refund_succeeded": _l("退款成功"), "order.refund_failed": _l("退款失败"),
    "reward_rule.save": _l("保存营销规则"), "reward_rule.copy": _l("复制营销规则"), "reward_rule.toggle": _l("启停营销规则"),
    "stored_value.enable": _l("开启储值"), "stored_value.settings": _l("修改储值设置"),
    "stored_value.points_rate": _l("修改积分转储值比例"), "topup_rule.save": _l("保存充值档位"),
    "messaging.settings": _l("修改群发设置"), "send.start": _l("开始群发"), "send.cancel": _l("取消群发"),
    "wechat.settings": _l("修改公众号设置"), "alipay_life.settings": _l("修改支付宝生活号设置"),
    "wechat.menu.save": _l("保存公众号菜单"),
    "wechat.menu.publish": _l("发布公众号菜单"), "wechat.keyword.delete": _l("删除关键词回复"),
    "recruitment.sms_invite": _l("发送入会邀请短信"),
    "commission.rule": _l("修改提成规则"),
    "recruitment.settings": _l("修改招募设置"),
}
# Actions named by their family when the exact one is not listed (benefit_card.stop, campaign.switch_on...).
FAMILY_LABELS = {
    "member": _l("会员"), "benefit_card": _l("权益卡"), "campaign": _l("营销活动"), "send": _l("群发"),
    "membership": _l("付费会员"),
    "wechat": _l("公众号"), "card": _l("卡"), "gift_card": _l("礼品卡"), "order": _l("订单"), "level": _l("等级"),
    "staff": _l("员工"), "store": _l("门店"), "api_key": _l("接口密钥"), "reward_rule": _l("营销规则"),
    "topup_rule": _l("充值档位"), "stored_value": _l("储值"), "checkout": _l("收银"), "audience": _l("人群"),
}
TARGET_LABELS = {
    "member": _l("会员"), "level": _l("等级"), "store": _l("门店"), "staff": _l("员工"), "merchant": _l("商户"),
    "member_field": _l("会员字段"), "card": _l("卡"), "card_template": _l("卡"), "campaign": _l("营销活动"),
    "send": _l("群发"), "audience": _l("人群"), "order": _l("订单"), "reward_rule": _l("营销规则"),
    "topup_rule": _l("充值档位"), "api_key": _l("接口密钥"), "gift_card_batch": _l("礼品卡批次"),
    "member_card_batch": _l("实体卡批次"), "member_card": _l("实体卡"),
    "balance_discount_rule": _l("折上折规则"), "stored_value_settings": _l("储值设置"),
    "messaging_settings": _l("群发设置"), "checkout_settings": _l("收银设置"), "points_multiplier_day": _l("多倍积分日"),
    "recruit_sms_batch": _l("邀请短信"),
    "commission_rule": _l("提成规则"),
    "recruit_settings": _l("招募设置"),
}
FIELD_LABELS = {
    "mobile": _l("手机号"), "name": _l("名称"), "gender": _l("性别"), "birthday": _l("生日"),
    "custom_fields": _l("自定义字段"), "guide_id": _l("专属导购"), "referrer_id": _l("推荐人"),
    "home_store_id": _l("所属门店"), "status": _l("状态"), "tag_ids": _l("标签"), "level_id": _l("等级"),
    "state": _l("状态"), "active": _l("启用"), "enabled": _l("开启"), "frozen": _l("冻结"), "reason": _l("原因"),
    "note": _l("备注"), "card_no": _l("卡号"), "new_card_no": _l("新卡号"), "kind": _l("类型"), "value": _l("标识"),
    "title": _l("名称"), "label": _l("字段名称"), "field_type": _l("字段类型"), "options": _l("选项"),
    "required": _l("必填"), "position": _l("排序"), "sort": _l("排序"), "rank": _l("等级序号"),
    "min_spend": _l("升级条件：累计消费"), "min_visits": _l("升级条件：消费次数"), "min_topup": _l("升级条件：累计充值"),
    "min_growth": _l("升级条件：成长值"), "discount_percent": _l("折扣"), "points_multiplier_tenths": _l("积分倍数"),
    "benefits_note": _l("权益说明"), "address": _l("地址"), "phone": _l("电话"), "username": _l("登录账号"),
    "role": _l("角色"), "store_ids": _l("门店"), "level_ids": _l("等级"), "timezone": _l("时区"),
    "points_expiry_mode": _l("积分有效期"), "points_expiry_days": _l("积分有效天数"), "price": _l("售价"),
    "price_paid": _l("实付"), "pay_amount": _l("充值金额"), "bonus": _l("赠送金额"), "amount": _l("金额"),
    "face_value": _l("面值"), "quantity": _l("数量"), "count": _l("数量"), "stock_total": _l("库存"),
    "valid_days": _l("有效天数"), "rule": _l("规则"), "keyword": _l("关键词"), "reply_text": _l("回复内容"),
    "points": _l("积分"), "growth": _l("成长值"), "min_paid": _l("最低实付"), "sms_signature": _l("短信签名"),
    "sms_fallback": _l("微信不可达时改发短信"), "campaign_messages_per_week": _l("每人每周营销消息上限"),
    "points_per_yuan": _l("积分兑换比例"), "filters": _l("筛选条件"), "rewards": _l("奖励"), "schedule": _l("执行规则"),
    "coupons": _l("赠券"), "message": _l("消息"), "audience_id": _l("人群"), "template_id": _l("券/卡"),
    "member_id": _l("会员"), "welcome_text": _l("关注欢迎语"), "default_reply": _l("默认回复"), "menu": _l("菜单"),
    "wechat_app_id": _l("公众号 AppID"), "alipay_app_id": _l("支付宝 AppID"), "wechat_pay_mch_id": _l("微信支付商户号"),
    "wechat_message_mode": _l("消息加解密方式"), "alipay_public_key": _l("支付宝公钥"), "channel": _l("渠道"),
    "instalment_total": _l("分期返还总额"), "instalment_months": _l("分期月数"), "starts_on": _l("开始日期"),
    "ends_on": _l("结束日期"), "allow_custom_amount": _l("允许自定义金额"), "custom_min": _l("自定义金额下限"),
    "custom_max": _l("自定义金额上限"), "max_balance": _l("余额上限"), "with_money": _l("退款"),
    "wechat_app_secret": _l("公众号 AppSecret"), "wechat_token": _l("公众号令牌 Token"),
    "wechat_aes_key": _l("消息加解密密钥"), "alipay_private_key": _l("支付宝应用私钥"),
    "wechat_pay_api_key": _l("微信支付 API 密钥"),
    "asked": _l("填写号码"), "sent": _l("已发送"), "skipped_member": _l("已是会员"), "skipped_opted_out": _l("已退订"),
    "skipped_recent": _l("近期已邀请"), "source_id": _l("渠道编号"),
    "per_new_member": _l("每拉新一位会员提成"), "topup_bp": _l("充值提成"), "card_sale_bp": _l("售卡提成"),
    "guided_spend_bp": _l("导购会员消费提成"), "guided_spend_days": _l("导购提成天数"),
    "invite_enabled": _l("邀请有礼"), "rebind_guide_on_scan": _l("扫其他导购的码时改绑导购"),
    "referral_rewards": _l("推荐奖励"),
    "membership_level_id": _l("开通后等级"), "after_expiry_level_id": _l("过期后身份"),
}
MONEY_FIELDS = {"min_spend", "min_topup", "min_paid", "price", "price_paid", "pay_amount", "bonus", "amount",
                "face_value", "instalment_total", "custom_min", "custom_max", "max_balance", "principal_paid_back",
                "bonus_back", "bonus_taken_back", "bonus_unrecoverable", "per_new_member"}
SECRET = re.compile(r"secret|token|password|private_key|aes_key|api_key", re.IGNORECASE)
STATE_LABELS = {
    **card_rules.STATE_LABELS, **coupon_rules.STATE_LABELS, **order_rules.STATE_LABELS,
    "active": "正常", "disabled": "已停用", "scheduled": "已开启", "paused": "已暂停", "draft": "草稿",
    "ended": "已结束", "lost": "已挂失", "returned": "已退卡", "replaced": "已补卡作废",
}
# Codes a value may be, per field, in words (the models' and domain's own label tables).
VALUE_LABELS = {
    "gender": GENDER_LABELS, "status": {**MEMBER_STATUS_LABELS, **STATE_LABELS}, "state": STATE_LABELS,
    "field_type": FIELD_TYPE_LABELS, "role": ROLE_LABELS, "kind": {**IDENTITY_LABELS, **campaign_rules.KIND_LABELS,
                                                                     **coupon_rules.KIND_LABELS, **card_rules.KIND_LABELS},
}
# Where an id points, for the names passed in by the view (Names).
ID_FIELDS = {"membership_level_id": "levels", "after_expiry_level_id": "levels",
             "guide_id": "staff", "home_store_id": "stores", "store_id": "stores", "level_id": "levels",
             "tag_ids": "tags", "store_ids": "stores", "level_ids": "levels", "audience_id": "audiences"}
PLAIN_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
# Where a field means something more precise on one kind of record.
TARGET_FIELD_LABELS = {"member": {"name": _l("姓名"), "kind": _l("身份类型")}, "staff": {"name": _l("姓名")},
                       "member_field": {"options": _l("选项")}}


@dataclass
class Names:
    """What ids and custom-field keys are called at this merchant (the view fills it with one query per kind)."""
    stores: dict = field(default_factory=dict)
    staff: dict = field(default_factory=dict)
    levels: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    audiences: dict = field(default_factory=dict)
    member_fields: dict = field(default_factory=dict)  # custom field key -> its label


def action_label(action):
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    family = action.split(".", 1)[0]
    return _("修改%(what)s", what=FAMILY_LABELS[family]) if family in FAMILY_LABELS else _("其他操作")


def target_label(target_type):
    return str(TARGET_LABELS.get(target_type, _("记录")))


@dataclass
class Shown:
    """One audit entry as the pages show it."""
    entry: object
    action: str
    target: str
    lines: list


def present(entries, names):
    return [Shown(entry, action_label(entry.action), target_label(entry.target_type),
                  sentences(entry.before, entry.after, names, entry.target_type)) for entry in entries]


def sentences(before, after, names=None, target_type=None):
    """The lines of one entry: "标签 从 A 改为 B" for a change, "标签：值" for what was set or removed."""
    names = names or Names()
    overrides = TARGET_FIELD_LABELS.get(target_type, {})
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    lines, unnamed = [], 0
    for key in list(after) + [k for k in before if k not in after]:
        if key == "custom_fields":
            lines += _custom_field_lines(before.get(key) or {}, after.get(key) or {}, names)
        elif key in FIELD_LABELS or key in overrides or SECRET.search(key):
            lines.append(_line(key, before, after, names, overrides))
        else:
            unnamed += 1
    if unnamed and before:
        # Fields with no name for a merchant (internal settings) are counted, not spelled out.
        lines.append(_("另有 %(n)s 项设置已修改", n=unnamed))
    return [line for line in lines if line]


def _line(key, before, after, names, overrides):
    label = str(overrides[key]) if key in overrides else field_label(key)
    if SECRET.search(key):
        return _("%(label)s 已更新", label=label)
    if key in before and key in after:
        old, new = value_text(key, before[key], names), value_text(key, after[key], names)
        if old == new:
            return _("%(label)s 已修改", label=label)
        return _("%(label)s 从 %(old)s 改为 %(new)s", label=label, old=old, new=new)
    if key in after:
        # What a new record was given: its empty fields say nothing.
        return _("%(label)s：%(value)s", label=label, value=value_text(key, after[key], names)) \
            if not _empty(after[key]) else None
    return _("%(label)s：%(value)s", label=label, value=value_text(key, before[key], names))


def _custom_field_lines(before, after, names):
    lines = []
    for key in list(after) + [k for k in before if k not in after]:
        label = _("自定义字段 %(name)s", name=names.member_fields.get(key) or _("（已删除的字段）"))
        old, new = value_text("", before.get(key), names), value_text("", after.get(key), names)
        if key in before and key in after and old != new:
            lines.append(_("%(label)s 从 %(old)s 改为 %(new)s", label=label, old=old, new=new))
        elif (key not in before or not before) and not _empty(after.get(key)):
            lines.append(_("%(label)s：%(value)s", label=label, value=new))
        elif key not in after:
            lines.append(_("%(label)s 从 %(old)s 改为 %(new)s", label=label, old=old, new=_("空")))
    return lines


def field_label(key):
    return str(FIELD_LABELS.get(key, _("密钥") if SECRET.search(key) else _("其他信息")))


def _empty(value):
    # "None" is how some older entries stored a missing date (str(None) in a snapshot).
    return value is None or value in ("", "None") or value == [] or value == {}


def value_text(key, value, names):
    """One value in words. Nested settings are not spelled out: the page that edits them shows them."""
    if _empty(value):
        return _("空")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if key in ID_FIELDS:
        table = getattr(names, ID_FIELDS[key])
        ids = value if isinstance(value, list) else [value]
        return "、".join(str(table.get(i) or _("#%(id)s", id=i)) for i in ids) or _("空")
    if key in MONEY_FIELDS and isinstance(value, int):
        return "¥" + format_yuan(value)
    if key == "discount_percent" and isinstance(value, int):
        return _("无折扣") if value >= 100 else _("%(n)s折", n=_tenths(value))
    if key.endswith("_bp") and isinstance(value, int):  # basis points: 150 is 1.5%
        return f"{_hundredths(value)}%"
    if key.endswith("_tenths") and isinstance(value, int):
        return _("%(n)s倍", n=_tenths(value))
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)):
        return _("已设置")
    if isinstance(value, list):
        return "、".join(value_text(key, v, names) for v in value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        text = str(VALUE_LABELS.get(key, {}).get(value) or STATE_LABELS.get(value) or value)
        # A code with no label (an internal name) says nothing to a merchant.
        return _("已修改") if PLAIN_CODE.match(text) and len(text) > 2 else _datetime_text(text)
    return str(value)


def _datetime_text(text):
    """'2026-12-07T10:30:00+00:00' -> '2026-12-07 10:30'; other text as it is."""
    match = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})", text)
    return f"{match.group(1)} {match.group(2)}" if match else text


def _tenths(value):
    whole, part = divmod(int(value), 10)
    return f"{whole}.{part}" if part else str(whole)


def _hundredths(value):
    whole, part = divmod(int(value), 100)
    return f"{whole}.{part:02d}".rstrip("0") if part else str(whole)
