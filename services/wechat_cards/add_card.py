"""领取到微信卡包 from the member centre: whether to offer the merchant's member card (synced in WeChat, and not
already in this WeChat user's package), and what the JS-SDK's wx.addCard needs: the card_id and its cardExt,
signed with the official account's card api_ticket (type wx_card) as WeChat documents it: the values of
api_ticket, timestamp, card_id, openid and nonce_str sorted, joined, SHA-1.
"""
import hashlib
import json
import secrets

import requests
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from channels.wechat import client_for
from domain.clock import now_utc
from models import WechatCardHolding, WechatMemberCard
from services.wechat.jssdk import JssdkUnavailable

OUTER_STR = "member_centre"  # comes back in user_get_card's OuterStr: where the card was added from


def offered_card_id(session, merchant, openid):
    """The card_id to offer this WeChat user, or None (no card in WeChat yet, or the user holds it already)."""
    card_id = session.scalar(select(WechatMemberCard.card_id).where(WechatMemberCard.merchant_id == merchant.id,
                                                                    WechatMemberCard.synced_version > 0))
    if not card_id:
        return None
    held = session.scalar(select(WechatCardHolding.id).where(
        WechatCardHolding.merchant_id == merchant.id, WechatCardHolding.card_id == card_id,
        WechatCardHolding.openid == openid, WechatCardHolding.state != "deleted").limit(1))
    return None if held else card_id


def card_ticket(client):
    """The account's api_ticket for the card JS API, shared by every process until it expires."""

    def fetch():
        answer = client.jsapi.get_ticket("wx_card")
        return answer["ticket"], int(answer.get("expires_in", 7200))

    try:
        return client.session.get_or_refresh(f"{client.appid}_wx_card_ticket", fetch)
    except (WeChatClientException, requests.RequestException, KeyError, ValueError) as exc:
        raise JssdkUnavailable("暂时无法领取到微信卡包，请稍后再试") from exc


def card_signature(*values):
    return hashlib.sha1("".join(sorted(str(value) for value in values)).encode()).hexdigest()


def card_list(merchant, card_id, openid, now=None):
    """wx.addCard's cardList for this user: [{cardId, cardExt}]."""
    ticket = card_ticket(client_for(merchant))
    timestamp, nonce = str(int((now or now_utc()).timestamp())), secrets.token_hex(8)
    ext = {"timestamp": timestamp, "nonce_str": nonce, "openid": openid, "outer_str": OUTER_STR,
           "signature": card_signature(ticket, timestamp, card_id, openid, nonce)}
    return [{"cardId": card_id, "cardExt": json.dumps(ext, separators=(",", ":"))}]
