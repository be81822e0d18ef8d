"""Sandbox Alipay trades, as every trade method reads and writes them: JSON in shared_tokens, moved between states
by compare-and-swap on the stored text; the parts of a request and an answer they share (biz_content, amounts in
yuan, Beijing time, Alipay's error bodies)."""
import json
import re
import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from domain.clock import now_utc
from extensions import db
from models import SharedToken
from web import boundary

TRADE_PREFIX = "sandbox:alipay:trade:"
WAIT, PAID, CLOSED = "WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_CLOSED"
BEIJING = ZoneInfo("Asia/Shanghai")
TOTAL = re.compile(r"^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$")
OUT_TRADE_NO = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def trade_key(app_id, out_trade_no):
    return f"{TRADE_PREFIX}{app_id}:{out_trade_no}"


def load_trade(app_id, out_trade_no):
    """(stored text, trade dict) or (None, None)."""
    text = db.session.scalar(select(SharedToken.value).where(SharedToken.key == trade_key(app_id, out_trade_no)))
    return (text, json.loads(text)) if text else (None, None)


def swap(trade, old_text):
    """Store the trade only if nobody changed it since `old_text` was read; commits. True when stored."""
    new_text = json.dumps(trade, ensure_ascii=False, sort_keys=True)
    moved = db.session.execute(
        update(SharedToken).where(SharedToken.key == trade_key(trade["app_id"], trade["out_trade_no"]),
                                  SharedToken.value == old_text)
        .values(value=new_text).execution_options(synchronize_session=False)).rowcount
    boundary.commit_now()
    return moved == 1


def beijing_now():
    return now_utc().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def expired(trade):
    return bool(trade.get("time_expire")) and beijing_now() > trade["time_expire"]


def biz(params):
    try:
        content = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


def two_decimals(total):
    """'12.3' -> '12.30' by string work alone: the sandbox, like Alipay, answers with two decimals."""
    whole, _, part = total.partition(".")
    return f"{whole}.{part.ljust(2, '0')}"


def new_trade_no():
    return now_utc().astimezone(BEIJING).strftime("%Y%m%d") + "22001" + f"{secrets.randbelow(10 ** 15):015d}"


def fen(text):
    """'12.3' -> 1230 by string work alone (the text already matched TOTAL)."""
    whole, _, part = text.partition(".")
    return int(whole) * 100 + int(part.ljust(2, "0"))


def yuan(amount):
    return f"{amount // 100}.{amount % 100:02d}"


def error(code, sub_code, sub_msg):
    return {"code": code, "msg": "Invalid Arguments", "sub_code": sub_code, "sub_msg": sub_msg}


def business_error(sub_code, sub_msg):
    return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}
