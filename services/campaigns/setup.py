"""A campaign's settings and states: validated and saved (audited), switched on, paused, resumed, ended; the list.

States: draft (being written) -> scheduled (on: the scheduler evaluates it) -> running (a run is giving out) ->
scheduled again, or ended (a one-off's run is done, the budget is spent, or the merchant ended it). Paused stops
the next chunk of any run and any new run; resuming picks up where it stopped. Only the owner or an admin edits
and switches campaigns (`campaigns.manage`): a campaign gives things away. Editing a campaign that is on changes
only runs that start afterwards (a run keeps the rewards and message it started with).
"""
import secrets

from sqlalchemy import select

from domain import campaigns as rules
from domain import roles
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, PermissionDenied
from domain.outreach import QUIET_FROM, QUIET_UNTIL
from models import Audience, Campaign
from models.campaigns import CAMPAIGN_KINDS, MESSAGE_CHANNELS
from services.merchant import audit
from services.rewards import after_payment, rules as reward_rules
from services.shared.tenancy import get_owned, scoped
from services.shared.text import optional_text, required_text

MAX_BUDGET = 100_000_000
MAX_HOLDOUT = 50
MAX_MESSAGE = 300
MAX_SMS = 60
# Kinds that act on an audience the merchant picks; birthday and dormant may narrow theirs with one too.
AUDIENCE_REQUIRED = ("holiday", "one_off", "recurring", "audience_entry")
LIVE = ("scheduled", "running")
FIELDS = ("name", "kind", "audience_id", "schedule", "rewards", "message", "budget_coupons", "budget_points",
          "holdout_percent")


def require_manager(actor):
    if not roles.can(actor.role, "campaigns.manage"):
        raise PermissionDenied("只有店主或管理员可以设置营销活动")


def list_campaigns(session, merchant_id):
    return session.scalars(scoped(Campaign, merchant_id).order_by(Campaign.id.desc())).all()


def get(session, merchant_id, campaign_id):
    return get_owned(session, Campaign, merchant_id, campaign_id)


def save(session, actor, campaign_id, *, now=None, ip=None, **values):
    """Create (campaign_id None, as a draft) or edit a campaign after every check; refusals change nothing."""
    require_manager(actor)
    now = now or now_utc()
    merchant = actor.merchant
    row = before = None
    if campaign_id is not None:
        row = get_owned(session, Campaign, actor.merchant_id, campaign_id, lock=True)
        if row.state == "ended":
            raise Conflict("活动已结束，不能再修改；可新建一个")
        before = _snapshot(row)
    with session.no_autoflush:
        clean = _checked(session, merchant, values, now, kind_locked=row.kind if row is not None else None)
    if row is None:
        row = Campaign(merchant_id=actor.merchant_id, state="draft", used_coupons=0, used_points=0,
                       created_by_id=actor.id)
        session.add(row)
    for name, value in clean.items():
        setattr(row, name, value)
    row.updated_at = now
    if not row.holdout_seed:
        row.holdout_seed = secrets.randbelow(2**31 - 1) + 1
    session.flush()
    audit.record(session, actor, "campaign.save", "campaign", row.id, before=before, after=_snapshot(row), ip=ip)
    return row


def switch_on(session, actor, campaign_id, now=None, ip=None):
    """draft or paused -> scheduled: from now on the scheduler gives it out."""
    require_manager(actor)
    now = now or now_utc()
    row = get_owned(session, Campaign, actor.merchant_id, campaign_id, lock=True)
    if row.state not in ("draft", "paused"):
        raise Conflict("活动已在进行或已结束")
    if row.kind == "one_off":
        rules.parse_schedule(row.kind, row.schedule, tz_name=actor.merchant.timezone, now=now)  # not past yet
    if row.state == "draft":
        row.checked_at = None  # first evaluation: today's occasion, if its hour has passed
    row.state = "scheduled"
    _audit_state(session, actor, row, "campaign.switch_on", ip)
    return row


def pause(session, actor, campaign_id, ip=None):
    """Stops within one chunk: a run's next chunk sees the state and waits."""
    require_manager(actor)
    row = get_owned(session, Campaign, actor.merchant_id, campaign_id, lock=True)
    if row.state not in LIVE:
        raise Conflict("只有进行中的活动可以暂停")
    row.state = "paused"
    _audit_state(session, actor, row, "campaign.pause", ip)
    return row


def end(session, actor, campaign_id, now=None, ip=None):
    require_manager(actor)
    row = get_owned(session, Campaign, actor.merchant_id, campaign_id, lock=True)
    if row.state == "ended":
        raise Conflict("活动已结束")
    mark_ended(row, "商家结束了活动")
    _audit_state(session, actor, row, "campaign.end", ip)
    return row


def mark_ended(row, reason):
    row.state, row.ended_reason = "ended", reason[:60]


def rewards_text(session, rewards):
    """「5 元券 x1、100 积分」: what a member gets, in words."""
    return after_payment.offer_text(session, rewards)


def _snapshot(row):
    return {f: getattr(row, f) for f in FIELDS} | {"state": row.state}


def _checked(session, merchant, values, now, kind_locked):
    kind = values.get("kind")
    if kind not in CAMPAIGN_KINDS:
        raise DomainError("未知的活动类型")
    if kind_locked and kind != kind_locked:
        raise DomainError("活动类型创建后不能修改")
    audience_id = _audience(session, merchant.id, kind, values.get("audience_id"))
    schedule = rules.parse_schedule(kind, values.get("schedule") or {}, tz_name=merchant.timezone, now=now)
    rewards = reward_rules.check_rewards(session, merchant.id, values.get("rewards") or {})
    second = values.get("second_rewards")
    if kind == "dormant" and schedule.get("second_after_days"):
        if not second:
            raise DomainError("请设置第二步的奖励")
        rewards["second"] = reward_rules.check_rewards(session, merchant.id, second)
    message = _message(kind, values.get("message") or {})
    _outside_quiet_hours(schedule, message)
    return {"name": required_text(values.get("name"), "活动名称", 40), "kind": kind, "audience_id": audience_id,
            "schedule": schedule, "rewards": rewards, "message": message,
            "budget_coupons": _budget(values.get("budget_coupons"), "优惠券总量上限"),
            "budget_points": _budget(values.get("budget_points"), "积分总量上限"),
            "holdout_percent": _holdout(values.get("holdout_percent"))}


def _audience(session, merchant_id, kind, audience_id):
    if audience_id in (None, "", 0):
        if kind in AUDIENCE_REQUIRED:
            raise DomainError("请选择活动人群")
        return None
    try:
        return get_owned(session, Audience, merchant_id, int(audience_id)).id
    except (TypeError, ValueError, OverflowError):
        raise DomainError("所选人群不存在") from None


def _message(kind, values):
    channel = values.get("channel") or "none"
    if channel not in MESSAGE_CHANNELS:
        raise DomainError("未知的通知方式")
    if kind == "audience_entry" and channel not in ("none", "notice"):
        raise DomainError("自动派券逐个发放，只能用模板消息通知")
    text = optional_text(values.get("text"), "通知内容", MAX_MESSAGE) or ""
    sms = optional_text(values.get("sms"), "短信内容", MAX_SMS) or ""
    if channel in ("wechat", "best") and not text:
        raise DomainError("请填写微信群发的内容")
    if channel in ("sms", "best") and not sms:
        raise DomainError("请填写短信内容")
    return {"channel": channel, "text": text, "sms": sms}


def _outside_quiet_hours(schedule, message):
    """Members are not messaged from 21:00 to 08:00: a campaign that tells them runs in the day."""
    if message["channel"] == "none":
        return
    hour = schedule.get("hour")
    if hour is None and schedule.get("at"):
        hour = int(schedule["at"][11:13])
    if hour is not None and not QUIET_UNTIL.hour <= hour < QUIET_FROM.hour:
        raise DomainError("21:00–08:00 不打扰会员：要通知会员的活动，执行时间请设在 8:00–20:59，或选择不通知")


def _budget(value, label):
    if value in (None, ""):
        return None
    number = _int(value, label)
    if not 1 <= number <= MAX_BUDGET:
        raise DomainError(f"{label}须在 1 到 {MAX_BUDGET} 之间，不限请留空")
    return number


def _holdout(value):
    if value in (None, ""):
        return 0
    number = _int(value, "对照组比例")
    if not 0 <= number <= MAX_HOLDOUT:
        raise DomainError(f"对照组比例须在 0 到 {MAX_HOLDOUT}% 之间")
    return number


def _int(value, label):
    if isinstance(value, bool):
        raise DomainError(f"{label}须为整数")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit() or len(text) > 12:
        raise DomainError(f"{label}须为整数")
    return int(text)


def _audit_state(session, actor, row, action, ip):
    session.flush()
    audit.record(session, actor, action, "campaign", row.id, after={"state": row.state}, ip=ip)


def live_campaigns(session, kinds=None):
    """Campaigns the scheduler evaluates (every merchant's): switched on, not paused or ended."""
    query = select(Campaign).where(Campaign.state.in_(LIVE))
    if kinds:
        query = query.where(Campaign.kind.in_(kinds))
    return session.scalars(query.order_by(Campaign.id)).all()
