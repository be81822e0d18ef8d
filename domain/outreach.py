"""The rules of reaching members (会员沟通): a marketing SMS's text, its sensitive words and quiet hours, and
WeChat's monthly mass-message allowance per follower. Pure rules: no database, no clock of their own."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from domain.clock import DEFAULT_TIMEZONE, to_local
from domain.errors import DomainError

SMS_MAX_CHARS = 70  # one SMS, counting the signature and the opt-out tail
OPT_OUT_TAIL = "回T退订"
OPT_OUT_REPLIES = ("T", "TD", "退订")
# A short built-in list (the seed names 革命 and 爆炸); a merchant adds its own words.
BUILTIN_SENSITIVE_WORDS = ("革命", "爆炸", "赌博", "博彩", "色情", "毒品", "枪支", "代开发票", "办证", "传销")
MAX_OWN_WORDS = 200
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)  # no marketing SMS from 21:00 to 08:00, local time
WECHAT_MASS_PER_MONTH = 4  # a follower receives at most 4 mass messages per natural month from a service account


def signature(shop_name):
    return f"【{shop_name.strip()}】"


def sms_text(shop_name, body):
    """The SMS a member receives: the shop's signature, the body, the opt-out tail."""
    return f"{signature(shop_name)}{body.strip()}{OPT_OUT_TAIL}"


def sms_length(text):
    """Characters as an SMS counts them: each UTF-16 unit (an emoji outside the basic plane is two)."""
    return len(text.encode("utf-16-le")) // 2


def check_sms(shop_name, body, own_words=()):
    """The full text of a marketing SMS, or a DomainError saying what is wrong: empty, control characters (a NUL
    byte), longer than one SMS with the signature and tail, or a sensitive word (named)."""
    body = (body or "").strip()
    if not body:
        raise DomainError("请填写短信内容")
    if any(ord(ch) < 32 for ch in body):
        raise DomainError("短信内容不能包含控制字符")
    text = sms_text(shop_name, body)
    used = sms_length(text)
    if used > SMS_MAX_CHARS:
        room = SMS_MAX_CHARS - sms_length(signature(shop_name) + OPT_OUT_TAIL)
        raise DomainError(f"短信连同签名和“{OPT_OUT_TAIL}”共 {used} 字，超过 {SMS_MAX_CHARS} 字；正文最多 {room} 字",
                          length=used)
    word = sensitive_word(text, own_words)
    if word:
        raise DomainError(f"短信内容包含敏感词“{word}”", word=word)
    return text


def sensitive_word(text, own_words=()):
    """The first sensitive word the text holds (built-in or the merchant's own), or None. Spaces and full-width
    spaces between its characters do not hide it."""
    squeezed = "".join(text.split())
    for word in (*BUILTIN_SENSITIVE_WORDS, *own_words):
        word = "".join((word or "").split())
        if word and word in squeezed:
            return word
    return None


def clean_own_words(text):
    """The merchant's own sensitive words, one per line or separated by commas: deduplicated, at most 200."""
    found = []
    for part in (text or "").replace("，", ",").replace("\n", ",").split(","):
        word = "".join(part.split())[:20]
        if word and word not in found:
            found.append(word)
    if len(found) > MAX_OWN_WORDS:
        raise DomainError(f"自定义敏感词最多 {MAX_OWN_WORDS} 个")
    return found


def sms_send_start(moment, tz_name=DEFAULT_TIMEZONE):
    """When a marketing SMS planned for `moment` (UTC) may go: at once outside quiet hours, else at the next
    08:00 in the merchant's timezone (as UTC)."""
    local = to_local(moment, tz_name)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return moment
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, ZoneInfo(tz_name or DEFAULT_TIMEZONE)).astimezone(timezone.utc)


def mass_month(moment, tz_name=DEFAULT_TIMEZONE):
    """The natural month (in the merchant's timezone) a mass message counts against: 'YYYY-MM'."""
    return f"{to_local(moment, tz_name):%Y-%m}"


def is_opt_out_reply(text):
    return "".join((text or "").split()).upper() in OPT_OUT_REPLIES
