"""Which members an audience (人群) holds: filters on member attributes, ANDed together, with OR inside one
attribute (levels, genders, birthday months, tags, stores, a select field's options). One implementation: the
member list's search and saved audiences build their WHERE clauses here.

`Filters` is plain data (saved as JSON with an audience); `parse` turns a form's or a request's values into one,
refusing what is malformed with a clear message; `conditions` turns one into SQL conditions on `members`, every
sub-query scoped to the merchant. Money is fen, dates are the merchant's local days.
"""
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta

from sqlalchemy import and_, exists, extract, or_, select

from domain.clock import local_midnight_utc, local_today, now_utc
from domain.errors import DomainError
from models import Card, Checkout, CouponCode, Fan, Member, MemberIdentity, Wallet
from models.member import GENDERS, member_tags

MAX_LIST = 50  # ids or values in one attribute
MAX_DAYS = 3660
MAX_AMOUNT = 10**12  # fen
MAX_COUNT = 10**9
TRISTATE = (None, True, False)  # no filter / must / must not


@dataclass(frozen=True)
class Filters:
    level_ids: tuple = ()
    genders: tuple = ()
    birthday_months: tuple = ()
    birthday_within_days: int | None = None
    visits_min: int | None = None
    visits_max: int | None = None
    spend_min: int | None = None  # fen
    spend_max: int | None = None
    last_visit_after: date | None = None
    last_visit_before: date | None = None
    not_visited_days: int | None = None  # 沉睡: no visit for N days (never visited included)
    visited_within_days: int | None = None
    balance_min: int | None = None  # fen: principal + bonus of the member's wallet
    balance_max: int | None = None
    points_min: int | None = None
    points_max: int | None = None
    tag_ids: tuple = ()
    custom: tuple = ()  # (field key, "in", (options...)) or (field key, "range", (min or None, max or None))
    store_ids: tuple = ()  # paid at any of these stores
    joined_from: date | None = None
    joined_to: date | None = None
    follows: bool | None = None  # follows the official account now
    has_wechat: bool | None = None
    has_alipay: bool | None = None
    holds_coupon_template_id: int | None = None  # an available code of it
    lacks_coupon_template_id: int | None = None
    holds_card_template_id: int | None = None  # an active card of it
    lacks_card_template_id: int | None = None
    text: str | None = None  # the member list's search box: mobile, name or card number

    def to_json(self):
        data = {}
        for name, value in asdict(self).items():
            if value in (None, (), []):
                continue
            data[name] = value.isoformat() if isinstance(value, date) else value
        return data

    @classmethod
    def from_json(cls, data):
        return parse(data or {})

    def is_empty(self):
        return not self.to_json()


def parse(values):
    """A Filters from a mapping of strings, numbers or lists (a form, a JSON body, a saved audience). Unknown keys
    are ignored; a malformed value is a DomainError naming the field."""
    get = values.get
    known = {f.name for f in fields(Filters)}
    out = {}
    out["level_ids"] = _ids(get("level_ids"), "等级")
    out["genders"] = _choices(get("genders"), GENDERS, "性别")
    out["birthday_months"] = tuple(sorted(set(_ints(get("birthday_months"), "生日月份", 1, 12))))
    out["birthday_within_days"] = _int(get("birthday_within_days"), "生日在几天内", 0, 366)
    out["visits_min"], out["visits_max"] = _range(get("visits_min"), get("visits_max"), "到店次数", MAX_COUNT)
    out["spend_min"], out["spend_max"] = _range(get("spend_min"), get("spend_max"), "累计消费", MAX_AMOUNT)
    out["last_visit_after"] = _date(get("last_visit_after"), "最近到店晚于")
    out["last_visit_before"] = _date(get("last_visit_before"), "最近到店早于")
    out["not_visited_days"] = _int(get("not_visited_days"), "未到店天数", 1, MAX_DAYS)
    out["visited_within_days"] = _int(get("visited_within_days"), "近几天到店", 1, MAX_DAYS)
    out["balance_min"], out["balance_max"] = _range(get("balance_min"), get("balance_max"), "储值余额", MAX_AMOUNT)
    out["points_min"], out["points_max"] = _range(get("points_min"), get("points_max"), "积分", MAX_AMOUNT)
    out["tag_ids"] = _ids(get("tag_ids"), "标签")
    out["custom"] = _custom(get("custom"))
    out["store_ids"] = _ids(get("store_ids"), "门店")
    out["joined_from"] = _date(get("joined_from"), "入会起始日")
    out["joined_to"] = _date(get("joined_to"), "入会截止日")
    for name, label in (("follows", "关注公众号"), ("has_wechat", "微信身份"), ("has_alipay", "支付宝身份")):
        out[name] = _tristate(get(name), label)
    for name, label in (("holds_coupon_template_id", "持有的券"), ("lacks_coupon_template_id", "未持有的券"),
                        ("holds_card_template_id", "持有的卡"), ("lacks_card_template_id", "未持有的卡")):
        chosen = _ids([get(name)] if get(name) not in (None, "") else [], label)
        out[name] = chosen[0] if chosen else None
    text = get("text")
    out["text"] = _text(text)
    if out["joined_from"] and out["joined_to"] and out["joined_from"] > out["joined_to"]:
        raise DomainError("入会起始日不能晚于截止日")
    return Filters(**{k: v for k, v in out.items() if k in known})


def conditions(merchant_id, filters, tz_name, now=None):
    """SQL conditions on `members` for these filters (ANDed by the caller), the merchant's rows only."""
    now = now or now_utc()
    today = local_today(tz_name, now)
    found = [Member.merchant_id == merchant_id]
    f = filters
    if f.level_ids:
        found.append(Member.level_id.in_(f.level_ids))
    if f.genders:
        found.append(Member.gender.in_(f.genders))
    if f.birthday_months:
        found.append(Member.birthday_month.in_(f.birthday_months))
    if f.birthday_within_days is not None:
        found.append(_birthday_within(today, f.birthday_within_days))
    found += _between(Member.visit_count, f.visits_min, f.visits_max)
    found += _between(Member.total_spend, f.spend_min, f.spend_max)
    found += _between(Member.points_balance, f.points_min, f.points_max)
    if f.last_visit_after:
        found.append(Member.last_visit_at >= local_midnight_utc(f.last_visit_after + timedelta(days=1), tz_name))
    if f.last_visit_before:
        found.append(Member.last_visit_at < local_midnight_utc(f.last_visit_before, tz_name))
    if f.not_visited_days:
        cutoff = now - timedelta(days=f.not_visited_days)
        found.append(or_(Member.last_visit_at.is_(None), Member.last_visit_at < cutoff))
    if f.visited_within_days:
        found.append(Member.last_visit_at >= now - timedelta(days=f.visited_within_days))
    if f.balance_min is not None or f.balance_max is not None:
        found.append(_balance_between(merchant_id, f.balance_min, f.balance_max))
    if f.tag_ids:
        found.append(exists().where(member_tags.c.member_id == Member.id, member_tags.c.tag_id.in_(f.tag_ids)))
    found += [_custom_condition(key, op, value) for key, op, value in f.custom]
    if f.store_ids:
        found.append(exists().where(Checkout.merchant_id == merchant_id, Checkout.member_id == Member.id,
                                    Checkout.store_id.in_(f.store_ids)))
    if f.joined_from:
        found.append(Member.created_at >= local_midnight_utc(f.joined_from, tz_name))
    if f.joined_to:
        found.append(Member.created_at < local_midnight_utc(f.joined_to + timedelta(days=1), tz_name))
    found += _tristates(merchant_id, f)
    found += _holdings(merchant_id, f, now)
    if f.text:
        found.append(_matches_text(merchant_id, f.text))
    return found


def _birthday_within(today, days):
    """Birthday (month and day) from today to today + days, across the year's end; 29 February counts on 28
    February in a year without it."""
    by_month = {}
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        by_month.setdefault(day.month, []).append(day.day)
    month, day = extract("month", Member.birthday), extract("day", Member.birthday)
    terms = []
    for m, days_in in by_month.items():
        low, high = min(days_in), max(days_in)
        if m == 2 and high == 28 and not _is_leap(today.year if today.month <= 2 else today.year + 1):
            high = 29
        terms.append(and_(month == m, day >= low, day <= high))
    return and_(Member.birthday.is_not(None), or_(*terms))


def _is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _between(column, low, high):
    found = []
    if low is not None:
        found.append(column >= low)
    if high is not None:
        found.append(column <= high)
    return found


def _balance_between(merchant_id, low, high):
    balance = Wallet.principal + Wallet.bonus
    held = select(Wallet.member_id).where(Wallet.merchant_id == merchant_id, Wallet.kind == "member",
                                          *_between(balance, low, high))
    inside = Member.id.in_(held)
    if low is None or low <= 0:  # a member without a wallet holds 0
        no_wallet = ~exists().where(Wallet.merchant_id == merchant_id, Wallet.member_id == Member.id,
                                    Wallet.kind == "member")
        return or_(inside, no_wallet)
    return inside


def _custom_condition(key, op, value):
    field = Member.custom_fields[key]
    if op == "in":
        return field.as_string().in_(value)
    low, high = value
    number = field.as_numeric(20, 4)  # a merchant's number field (height, plate count), compared exactly
    return and_(field.is_not(None), *_between(number, low, high))


def _tristates(merchant_id, f):
    found = []
    identity = {"has_wechat": ("wechat_openid", "wechat_unionid"), "has_alipay": ("alipay_user_id",)}
    for name, kinds in identity.items():
        wanted = getattr(f, name)
        if wanted is None:
            continue
        held = exists().where(MemberIdentity.merchant_id == merchant_id, MemberIdentity.member_id == Member.id,
                              MemberIdentity.kind.in_(kinds), MemberIdentity.active.is_(True))
        found.append(held if wanted else ~held)
    if f.follows is not None:
        following = exists().where(Fan.merchant_id == merchant_id, Fan.member_id == Member.id,
                                   Fan.subscribed.is_(True))
        found.append(following if f.follows else ~following)
    return found


def _holdings(merchant_id, f, now):
    found = []
    for template_id, wanted in ((f.holds_coupon_template_id, True), (f.lacks_coupon_template_id, False)):
        if template_id is not None:
            held = exists().where(CouponCode.merchant_id == merchant_id, CouponCode.member_id == Member.id,
                                  CouponCode.template_id == template_id, CouponCode.state == "available",
                                  or_(CouponCode.ends_at.is_(None), CouponCode.ends_at > now))
            found.append(held if wanted else ~held)
    for template_id, wanted in ((f.holds_card_template_id, True), (f.lacks_card_template_id, False)):
        if template_id is not None:
            held = exists().where(Card.merchant_id == merchant_id, Card.member_id == Member.id,
                                  Card.template_id == template_id, Card.state == "active")
            found.append(held if wanted else ~held)
    return found


def _matches_text(merchant_id, text):
    like = f"%{text.replace('%', '').replace('_', '')}%"
    card_owner_ids = select(MemberIdentity.member_id).where(
        MemberIdentity.merchant_id == merchant_id, MemberIdentity.kind == "card_no", MemberIdentity.value == text)
    return or_(Member.mobile.like(like), Member.name.like(like), Member.id.in_(card_owner_ids))


# --- parsing -----------------------------------------------------------------------------------------------


def _as_list(value):
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v not in (None, "")]
    return [value]


def _int(value, label, low, high):
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise DomainError(f"{label}须为整数")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise DomainError(f"{label}须为整数") from None
    if not low <= number <= high:
        raise DomainError(f"{label}须在 {low} 到 {high} 之间")
    return number


def _ints(values, label, low, high):
    found = _as_list(values)
    if len(found) > MAX_LIST:
        raise DomainError(f"{label}最多选 {MAX_LIST} 个")
    return [_int(v, label, low, high) for v in found]


def _ids(values, label):
    return tuple(sorted(set(_ints(values, label, 1, 2**31 - 1))))


def _choices(values, allowed, label):
    found = _as_list(values)
    unknown = [v for v in found if v not in allowed]
    if unknown:
        raise DomainError(f"未知的{label}")
    return tuple(sorted(set(found)))


def _range(low, high, label, limit):
    low, high = _int(low, label, 0, limit), _int(high, label, 0, limit)
    if low is not None and high is not None and low > high:
        raise DomainError(f"{label}的下限不能大于上限")
    return low, high


def _date(value, label):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise DomainError(f"{label}须为日期（如 2026-01-31）") from None


def _tristate(value, label):
    if value in (None, "", "any"):
        return None
    if value in (True, "1", "true", "yes"):
        return True
    if value in (False, "0", "false", "no"):
        return False
    raise DomainError(f"{label}的取值不正确")


def _text(value):
    if value in (None, ""):
        return None
    text = str(value).replace("\x00", "").strip()[:64]
    return text or None


def _custom(values):
    """[(key, "in", [options]) or (key, "range", [min, max])] from a list of such triples (or dicts)."""
    found = []
    for item in _as_list(values)[:MAX_LIST]:
        if isinstance(item, dict):
            item = (item.get("key"), item.get("op"), item.get("value"))
        try:
            key, op, value = item
        except (TypeError, ValueError):
            raise DomainError("行业字段的条件不正确") from None
        if not isinstance(key, str) or not key or len(key) > 40:
            raise DomainError("行业字段的条件不正确")
        if op == "in":
            options = tuple(str(v)[:100] for v in _as_list(value)[:MAX_LIST])
            if options:
                found.append((key, "in", options))
        elif op == "range":
            low, high = (list(value) + [None, None])[:2] if isinstance(value, (list, tuple)) else (None, None)
            low, high = _range(low, high, "行业字段", MAX_AMOUNT)
            if low is not None or high is not None:
                found.append((key, "range", (low, high)))
        else:
            raise DomainError("行业字段的条件不正确")
    return tuple(found)
