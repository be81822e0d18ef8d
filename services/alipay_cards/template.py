"""Alipay catching up with the merchant's member card face (the WechatMemberCard the back office edits): a member
card template (OUT_MEMBER_CARD) created once (alipay.marketing.card.template.create, Alipay's template_id kept),
modified after each later save (.modify). The request_id names the merchant and the face's version, so a retried
save is answered once by Alipay. A refusal, a missing Alipay app or an unreachable Alipay is kept on the template
in words; the next save tries again."""
import io

from PIL import Image
from sqlalchemy import func, select

from channels import alipay as alipay_channel, alipay_images
from domain.clock import now_utc
from domain.errors import DomainError
from domain.wechat_member_card import CELLS, color_hex
from models import AlipayCardHolding, AlipayCardTemplate, WechatMemberCard
from services.alipay_cards.calls import call
from services.shared import host
from services.wechat_cards.sync import default_logo

CELL_PAGES = {"balance": "member_h5.balance", "points": "member_h5.points", "coupons": "member_h5.coupons_wallet",
              "membership": "member_h5.membership"}
BACKGROUND_SIZE = (510, 322)  # Alipay's card picture is 1020 x 643; half of it, a plain field of the card's colour
SHOW_NAME_CHARS = 16


def template_for(session, merchant_id):
    return session.scalars(select(AlipayCardTemplate).where(AlipayCardTemplate.merchant_id == merchant_id)
                           ).one_or_none()


def sync(session, merchant):
    """Bring Alipay up to the face's newest version. True when Alipay has it; False with `sync_error` set."""
    card = session.scalars(select(WechatMemberCard).where(WechatMemberCard.merchant_id == merchant.id)).one_or_none()
    if card is None or not alipay_channel.configured(merchant):
        return False
    template = session.scalars(select(AlipayCardTemplate).where(AlipayCardTemplate.merchant_id == merchant.id)
                               .with_for_update()).one_or_none()
    if template is None:
        template = AlipayCardTemplate(merchant_id=merchant.id, app_id=merchant.alipay_app_id, synced_version=0)
        session.add(template)
    if template.app_id != merchant.alipay_app_id:  # another Alipay app: its templates are not this one's
        template.app_id, template.template_id, template.synced_version = merchant.alipay_app_id, None, 0
    version = card.version
    try:
        client = alipay_channel.client_for(merchant)
        pictures = _upload_pictures(merchant, card)
    except DomainError as exc:
        return _failed(session, template, f"支付宝未收下会员卡图片：{exc.message}")
    body = template_json(card, merchant, pictures)
    if template.template_id:
        answer = call(client, "alipay.marketing.card.template.modify",
                      {"request_id": f"{merchant.id}m{version}", "template_id": template.template_id, **body})
    else:
        answer = call(client, "alipay.marketing.card.template.create",
                      {"request_id": f"{merchant.id}c{version}", "card_type": "OUT_MEMBER_CARD",
                       "biz_no_prefix": f"m{merchant.id}"[:10], **body})
    if answer.error:
        return _failed(session, template, f"支付宝拒绝了会员卡模板：{answer.error}")
    template.template_id = template.template_id or answer.body.get("template_id")
    template.synced_version, template.sync_error = version, None
    template.synced_at = template.updated_at = now_utc()
    session.flush()
    return True


def _failed(session, template, message):
    template.sync_error, template.updated_at = message[:300], now_utc()
    session.flush()
    return False


def _rgb(color):
    text = color_hex(color).lstrip("#")
    return "rgb({},{},{})".format(*(int(text[i:i + 2], 16) for i in (0, 2, 4)))


def _upload_pictures(merchant, card):
    """(logo_id, background_id): the merchant's logo (a disc of the card's colour without one) and a field of the
    card's colour, uploaded for this save (Alipay keeps no picture of ours between templates)."""
    logo = card.logo_data or default_logo(card.color)
    logo_id = alipay_images.upload_image(merchant, logo, "png" if logo[:4] == b"\x89PNG" else "jpg", "logo")
    background = io.BytesIO()
    Image.new("RGB", BACKGROUND_SIZE, color_hex(card.color)).save(background, "PNG")
    return logo_id, alipay_images.upload_image(merchant, background.getvalue(), "png", "background")


def template_json(card, merchant, pictures):
    """What template.create and .modify share: the face, the figures Alipay shows, the entries."""
    rules = [("Level", True), ("Point", card.supply_bonus), ("Balance", card.supply_balance)]
    columns = [{"code": "LEVEL", "title": "等级", "operate_type": "openWeb",
                "more_info": {"title": "等级权益", "url": host.external_url("member_h5.level",
                                                                         merchant_slug=merchant.slug)}}]
    for key in card.cells or ():
        columns.append({"code": key.upper(), "title": CELLS[key], "operate_type": "openWeb",
                        "more_info": {"title": CELLS[key],
                                      "url": host.external_url(CELL_PAGES[key], merchant_slug=merchant.slug)}})
    return {"write_off_type": "qrcode",
            "template_style_info": {"card_show_name": card.title[:SHOW_NAME_CHARS], "logo_id": pictures[0],
                                    "background_id": pictures[1], "bg_color": _rgb(card.color)},
            "field_rule_list": [{"field_name": name, "rule_name": "ASSIGN_FROM_REQUEST", "rule_value": name}
                                for name, shown in rules if shown],
            "column_info_list": columns}


def sync_state(template, card):
    """'none' (no template and nothing tried), 'synced' (Alipay has the face's newest version), 'failed' (Alipay
    refused it; sync_error says why) or 'pending'."""
    if template is None:
        return "none"
    if card is not None and template.template_id and template.synced_version == card.version:
        return "synced"
    return "failed" if template.sync_error else "pending"


def holders(session, merchant_id):
    """How many members hold the card in their Alipay card packages."""
    return session.scalar(select(func.count()).where(AlipayCardHolding.merchant_id == merchant_id,
                                                     AlipayCardHolding.state == "open"))
