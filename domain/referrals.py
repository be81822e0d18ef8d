"""Referral rewards (老会员推荐) as rules: the two events that pay (an invitee's join and first payment), the
levels up the chain that are paid, the merchant's reward table checked and normalised, the idempotency key of
each reward, and the sentences that say what the rules do (the settings page's preview, the member's invite page)."""
from domain.errors import DomainError
from domain.recruitment import REFERRAL_REWARD_LEVELS

REFERRAL_EVENTS = ("join", "first_payment")
REFERRAL_EVENT_LABELS = {"join": "好友开卡", "first_payment": "好友首次消费"}
# given: points and/or a coupon went to the referrer; skipped: the level's reward could not be given (the coupon
# ran out, the referrer's card is disabled); refused: no referral was recorded at all (a self-referral, ...).
REFERRAL_OUTCOMES = ("given", "skipped", "refused")
REFERRAL_OUTCOME_LABELS = {"given": "已发放", "skipped": "未发放", "refused": "未计入推荐"}
LEVEL_LABELS = {1: "直接邀请人", 2: "二级邀请人", 3: "三级邀请人"}
MAX_REWARD_POINTS = 1_000_000  # per level and event: a typo of a few zeros is refused, not paid


def reward_key(invitee_id, event, level):
    """The one key of a reward: the reward row, the points transaction and the coupon code all carry it."""
    return f"referral:{int(invitee_id)}:{event}:{int(level)}"


def empty_rewards():
    return {event: [{"points": 0, "coupon_template_id": None} for _ in range(REFERRAL_REWARD_LEVELS)]
            for event in REFERRAL_EVENTS}


def clean_rewards(raw):
    """The reward table as stored: {event: [{"points": int, "coupon_template_id": int | None}] * 3}. Raises
    DomainError naming the cell at fault (negative or huge points, a template id that is not a number)."""
    if not isinstance(raw, dict) or set(raw) - set(REFERRAL_EVENTS):
        raise DomainError("奖励设置格式不正确")
    cleaned = empty_rewards()
    for event in REFERRAL_EVENTS:
        levels = raw.get(event) or []
        if not isinstance(levels, (list, tuple)) or len(levels) > REFERRAL_REWARD_LEVELS:
            raise DomainError(f"奖励最多设置 {REFERRAL_REWARD_LEVELS} 级")
        for index, cell in enumerate(levels):
            where = f"{REFERRAL_EVENT_LABELS[event]} · {LEVEL_LABELS[index + 1]}"
            if not isinstance(cell, dict):
                raise DomainError(f"{where}：奖励格式不正确")
            cleaned[event][index] = {"points": _points(cell.get("points"), where),
                                     "coupon_template_id": _template_id(cell.get("coupon_template_id"), where)}
    return cleaned


def _points(value, where):
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(f"{where}：积分须为整数")
    if value < 0:
        raise DomainError(f"{where}：积分不能为负数")
    if value > MAX_REWARD_POINTS:
        raise DomainError(f"{where}：积分不能超过 {MAX_REWARD_POINTS}")
    return value


def _template_id(value, where):
    if value in (None, "", 0):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise DomainError(f"{where}：所选优惠券不存在")
    return value


def paid_levels(rewards, event):
    """[(level, points, coupon_template_id)] of the levels of `event` that give something, nearest first."""
    levels = (rewards or {}).get(event) or []
    found = []
    for index, cell in enumerate(levels[:REFERRAL_REWARD_LEVELS]):
        if not isinstance(cell, dict):
            continue
        points = cell.get("points") if isinstance(cell.get("points"), int) and cell.get("points") > 0 else 0
        template_id = cell.get("coupon_template_id") if isinstance(cell.get("coupon_template_id"), int) else None
        if points or template_id:
            found.append((index + 1, points, template_id))
    return found


def gift_words(points, title):
    """'100 积分 + 满50减10券', '100 积分', '满50减10券' or ''."""
    return " + ".join(part for part in (f"{points} 积分" if points else "", title or "") if part)


def _title(titles, template_id):
    return titles.get(template_id, "优惠券") if template_id else ""


def spaced(before, words):
    """'得' + '100 积分' -> '得 100 积分', '得' + '首单券' -> '得首单券': a space only before Latin letters and digits."""
    return f"{before} {words}" if words[:1].isascii() else f"{before}{words}"


def preview(rewards, titles, *, invite_enabled):
    """The settings page's sentence: what the rules do, level by level. `titles`: coupon template id -> title."""
    if not invite_enabled:
        return "邀请有礼已关闭：会员中心不显示“邀请好友”，通过邀请链接开卡不记录推荐人，也不发放奖励。"
    parts = []
    for event, opening in (("join", "好友通过会员的邀请链接开卡后"), ("first_payment", "被邀请的好友首次消费（到店或线上支付）后")):
        given = [spaced(f"{LEVEL_LABELS[level]}得", gift_words(points, _title(titles, template_id)))
                 for level, points, template_id in paid_levels(rewards, event)]
        if given:
            parts.append(f"{opening}，" + "；".join(given) + "。")
    if not parts:
        return "邀请有礼已开启，但尚未设置奖励：好友通过邀请链接开卡只记录推荐人。"
    return "".join(parts) + "每位好友每项奖励只发一次；自己邀请自己（同一手机号、同一微信或支付宝账号）不计推荐、不发奖励。"


MEMBER_LEVEL_OPENINGS = {
    ("join", 1): "好友通过你的邀请开卡，你得", ("first_payment", 1): "好友首次消费，你再得",
    ("join", 2): "你邀请的好友再邀请新朋友开卡，你得", ("first_payment", 2): "他们邀请的新朋友首次消费，你得",
    ("join", 3): "再下一级的新朋友开卡，你得", ("first_payment", 3): "再下一级的新朋友首次消费，你得",
}


def member_lines(rewards, titles):
    """What the member's invite page says they get, one line per paid level and event."""
    lines = []
    for event in REFERRAL_EVENTS:
        for level, points, template_id in paid_levels(rewards, event):
            title = _title(titles, template_id)
            lines.append(spaced(MEMBER_LEVEL_OPENINGS[(event, level)], gift_words(points, title)))
    return lines
