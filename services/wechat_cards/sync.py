"""WeChat catching up with the merchant's member card: card/create the first time (keeping WeChat's card_id),
card/update after each later save, the logo uploaded (media/uploadimg) when it changed. A refusal (WeChat's
errcode and errmsg), a missing official account or an unreachable WeChat is kept on the card in words, the saved
version stays unsynced, and the next save (or the retry job, every 10 minutes) tries again. A card deleted in
WeChat (the official account's console) is created again, the cards users held of the old one gone with it."""
import io

import requests
from PIL import Image
from sqlalchemy import select, update
from wechatpy.exceptions import WeChatClientException

from channels.wechat import client_for
from domain.clock import now_utc
from domain.errors import DomainError
from domain.wechat_member_card import CELL_SLOTS, CELLS, LEVEL_FIELD, color_hex
from models import WechatCardHolding, WechatMemberCard
from services.shared import host

# The member page each entry opens (member_h5's endpoints).
CELL_PAGES = {"balance": "member_h5.balance", "points": "member_h5.points", "coupons": "member_h5.coupons_wallet",
              "membership": "member_h5.membership"}
CELL_TIPS = {"balance": "查看", "points": "查看", "coupons": "去使用", "membership": "了解"}
QUANTITY = 100000000  # WeChat's largest stock: a member card never runs out
CARD_NOT_FOUND = 40073
# What WeChat's activation form asks: the phone that finds (or makes) the member; their name and birthday if given.
ACTIVATION_FORM = {"required_form": {"can_modify": False, "common_field_id_list": ["USER_FORM_INFO_FLAG_MOBILE"]},
                   "optional_form": {"can_modify": False, "common_field_id_list": ["USER_FORM_INFO_FLAG_NAME",
                                                                                  "USER_FORM_INFO_FLAG_BIRTHDAY"]}}


def sync(session, merchant):
    """Bring WeChat up to the card's newest version. True when WeChat has it; False with `card.sync_error` set."""
    card = session.scalars(select(WechatMemberCard).where(WechatMemberCard.merchant_id == merchant.id)
                           .with_for_update()).one_or_none()
    if card is None:
        return False
    version = card.version
    try:
        client = client_for(merchant)
        _upload_logo(card, client)
        if card.card_id and not _updated(session, client, card, merchant):
            card.card_id = None  # deleted in WeChat (the official account's console): made again below
        if not card.card_id:
            card.card_id = client.card.create({"card": {"card_type": "MEMBER_CARD",
                                                        "member_card": member_card_json(card, merchant)}})
        client.card.set_activate_user_form(card.card_id, **ACTIVATION_FORM)
    except WeChatClientException as exc:
        return _failed(session, card, f"微信拒绝了会员卡：{exc.errmsg}（错误码 {exc.errcode}）")
    except DomainError as exc:
        return _failed(session, card, exc.message)
    except requests.RequestException:
        return _failed(session, card, "无法连接微信服务器，请稍后再保存一次")
    card.synced_version, card.sync_error, card.synced_at = version, None, now_utc()
    session.flush()
    return True


def _updated(session, client, card, merchant):
    """card/update; False when WeChat no longer has the card, whose holdings are then gone with it."""
    try:
        client.card.update({"card_id": card.card_id, "member_card": member_card_json(card, merchant,
                                                                                     creating=False)})
    except WeChatClientException as exc:
        if exc.errcode != CARD_NOT_FOUND:
            raise
        session.execute(update(WechatCardHolding).where(
            WechatCardHolding.merchant_id == card.merchant_id, WechatCardHolding.card_id == card.card_id,
            WechatCardHolding.state != "deleted").values(state="deleted", updated_at=now_utc()))
        return False
    return True


def due_for_retry(session, limit=100):
    """Merchants whose card has a save WeChat has not taken yet (refused, or WeChat was unreachable)."""
    return session.scalars(select(WechatMemberCard.merchant_id).where(
        WechatMemberCard.synced_version < WechatMemberCard.version).order_by(WechatMemberCard.merchant_id)
        .limit(limit)).all()


def _failed(session, card, message):
    card.sync_error = message[:300]
    session.flush()
    return False


def _upload_logo(card, client):
    if card.logo_url and card.logo_synced_version >= card.logo_version:
        return
    data = card.logo_data or default_logo(card.color)
    kind = "png" if data[:4] == b"\x89PNG" else "jpeg"
    card.logo_url = client.media.upload_image((f"logo.{kind}", io.BytesIO(data), f"image/{kind}"))
    card.logo_synced_version = card.logo_version


def default_logo(color):
    """A plain disc of the card's colour, for a card whose merchant has not uploaded a logo (WeChat needs one)."""
    picture = Image.new("RGB", (300, 300), color_hex(color))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def cell_url(merchant, key):
    return host.external_url(CELL_PAGES[key], merchant_slug=merchant.slug)


def member_card_json(card, merchant, creating=True):
    """The member_card object of card/create (creating) or card/update (only what WeChat lets an update change)."""
    base = {"logo_url": card.logo_url, "title": card.title, "color": card.color, "notice": card.notice,
            "description": card.description}
    if creating:
        base.update({"brand_name": card.brand_name, "code_type": "CODE_TYPE_QRCODE",
                     "date_info": {"type": "DATE_TYPE_PERMANENT"}, "sku": {"quantity": QUANTITY}, "get_limit": 1,
                     "use_custom_code": False, "can_give_friend": False})
    body = {"base_info": base, "prerogative": card.prerogative, "supply_bonus": card.supply_bonus,
            "supply_balance": card.supply_balance}
    # 激活 through WeChat's own form (一键激活, the jump kind): the user gives their phone (and name, birthday) in
    # WeChat, which then opens our activation page with card_id, encrypt_code and activate_ticket appended; the
    # page binds or joins the member with that phone and activates the card. WeChat ignores wx_activate when an
    # activate_url is also given.
    body.update({"wx_activate": True, "wx_activate_after_submit": True,
                 "wx_activate_after_submit_url": host.external_url("member_h5.wechat_card_activate",
                                                                   merchant_slug=merchant.slug)})
    if card.supply_bonus:
        body["bonus_url"] = cell_url(merchant, "points")
    if card.supply_balance:
        body["balance_url"] = cell_url(merchant, "balance")
    body["custom_field1"] = {"name_type": LEVEL_FIELD,
                             "url": host.external_url("member_h5.level", merchant_slug=merchant.slug)}
    cells = list(card.cells or ())
    for index, slot in enumerate(CELL_SLOTS):
        key = cells[index] if index < len(cells) else None
        name, tips, url = (CELLS[key], CELL_TIPS[key], cell_url(merchant, key)) if key else ("", "", "")
        if slot == "custom_cell1":
            if key or not creating:  # an update with an empty entry takes a removed one off the card
                body["custom_cell1"] = {"name": name, "tips": tips, "url": url}
        elif key or not creating:
            base.update({f"{slot}_name": name, slot: url, f"{slot}_sub_title": tips})
    return body
