"""Member pages shared inside WeChat: every member page opened in WeChat configures the JS-SDK share (微信好友 and
朋友圈, static/js/share_wechat.js), so the card a person shares opens a tracked join link of the channel shared to:
their own invite link when they are a member, else the link of whoever brought them (services/recruitment/share.py).
Outside WeChat nothing loads."""
from io import BytesIO
from urllib.parse import urlsplit

from flask import current_app, g, jsonify, request, send_file, url_for
from flask_babel import gettext as _

from domain.errors import DomainError
from extensions import db
from member_h5 import blueprint
from member_h5.common import current_login, detect_client
from member_h5.join_links import remembered_source
from services.members.join import member_for
from services.recruitment import posters, promotion, share
from services.wechat import jssdk

@blueprint.context_processor
def _wechat_share():
    """The layout loads the share script only inside WeChat, for a merchant with an official account."""
    merchant = g.get("merchant")
    if merchant is None or not merchant.wechat_app_id or detect_client() != "wechat":
        return {"wechat_share_url": None}
    return {"wechat_share_url": url_for("member_h5.share_config")}


@blueprint.route("/share-config.json")
def share_config():
    """`wx.config` for the page at ?url= and what sharing it to a chat and to 朋友圈 sends."""
    url = request.args.get("url", "")
    if not _own_page(url):
        return jsonify(error=_("页面地址不正确")), 400
    try:
        config = jssdk.config_for(g.merchant, url, js_api_list=jssdk.SHARE_API_LIST)
        cards = share.cards_for(db.session, g.merchant, member=_signed_in_member(), came_through=remembered_source())
    except DomainError as exc:
        db.session.rollback()
        return jsonify(error=exc.message), exc.http_status
    return jsonify(config=config, **{target: _shared(card) for target, card in cards.items()})


@blueprint.route("/share-card.png")
def share_card():
    """The card's picture beside a shared link's title: the free member card, or ?template_id= a paid membership."""
    try:
        target = promotion.target_of(db.session, g.merchant.id, "paid_membership",
                                     request.args["template_id"]) if request.args.get("template_id") \
            else promotion.Target()
        data = posters.thumb_png(posters.face_of(db.session, g.merchant, target))
    except DomainError as exc:
        db.session.rollback()
        return jsonify(error=exc.message), exc.http_status
    return send_file(BytesIO(data), mimetype="image/png")


def _shared(card):
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    picture = {"template_id": card.template_id} if card.template_id else {}
    return {"title": card.title, "desc": card.desc, "link": base + url_for("member_h5.join_link", token=card.token),
            "imgUrl": base + url_for("member_h5.share_card", **picture)}


def _signed_in_member():
    login = current_login()
    member = member_for(db.session, login) if login is not None else None
    return member if member is not None and member.status == "active" else None


def _own_page(url):
    """Only a page of this merchant's member pages on this host is signed (WeChat checks the same)."""
    parts = urlsplit(url or "")
    return parts.netloc == request.host and parts.path.startswith(url_for("member_h5.index"))
