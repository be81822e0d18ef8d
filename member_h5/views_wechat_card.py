"""The WeChat member card's activation page (激活), which WeChat opens from the card in the user's card package with
`encrypt_code` and `card_id` appended: a WeChat user who is not a member yet claims the card first (the claim page
verifies the phone and comes back here), then the card is bound to the member and activated in WeChat.

The member centre's 领取到微信卡包 (static/js/wechat_add_card.js) calls wx.addCard with what add.json signs."""
from flask import current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from domain.errors import DomainError
from extensions import db
from member_h5 import blueprint
from member_h5.common import current_login, detect_client, member_required, message_page
from services.members.join import member_for
from services.wechat import jssdk
from services.wechat_cards import activation, activation_form, add_card


@blueprint.route("/wechat-card/activate")
def wechat_card_activate():
    here = request.full_path.rstrip("?")
    login = current_login()
    if login is None:
        return redirect(url_for("member_h5.index", next=here))
    if login.channel != "wechat":
        return message_page(_("请在微信中打开"), _("微信会员卡只能在微信中激活。"), 400, icon="warn")
    member = member_for(db.session, login)
    ticket = request.args.get("activate_ticket")
    if member is None and not ticket:
        return redirect(url_for("member_h5.claim", next=here))
    if member is not None and member.status != "active":
        return message_page(_("会员卡已停用"), _("您的会员卡已停用，如有疑问请联系商家。"), 403, icon="warn")
    try:
        holding = activation.holding_from_link(db.session, g.merchant, request.args.get("card_id"),
                                               request.args.get("encrypt_code"), login.user_key)
        if member is None:  # WeChat's activation form gave the phone: join (or bind) with it, no SMS page
            given = activation_form.answers(g.merchant, ticket)
            member = activation_form.join_with_answers(db.session, g.merchant, login, given)
        activation.activate(db.session, g.merchant, holding, member)
    except activation_form.NeedsClaimPage:
        db.session.rollback()
        return redirect(url_for("member_h5.claim", next=here))
    except DomainError as exc:
        db.session.rollback()
        status = 404 if exc.code == "not_found" else 400
        return message_page(_("未能激活会员卡"), exc.message, status, icon="warn",
                            link=url_for("member_h5.centre"), link_text=_("进入会员中心"))
    return message_page(_("会员卡已激活"), _("您的微信会员卡已激活，积分和余额会同步显示在卡包中。"),
                        link=url_for("member_h5.centre"), link_text=_("进入会员中心"))


def add_card_button(login):
    """What the member centre's 领取到微信卡包 needs, or None: only inside WeChat, once the merchant's card is in
    WeChat and this user does not hold it. `href` is where the tap goes without the JS-SDK bridge: in the sandbox
    the simulated phone's card package, ready to add the card (as WeChat's add-card sheet would be)."""
    if login is None or login.channel != "wechat" or detect_client() != "wechat":
        return None
    card_id = add_card.offered_card_id(db.session, g.merchant, login.user_key)
    if card_id is None:
        return None
    href = url_for("sandbox.phone_cards", m=g.merchant.slug, add=card_id, outer_str=add_card.OUTER_STR) \
        if current_app.config.get("SANDBOX_ENABLED") else "#"
    return {"config_url": url_for("member_h5.wechat_card_add"), "href": href}


@blueprint.route("/wechat-card/add.json")
@member_required
def wechat_card_add():
    """wx.config (addCard) for the page at ?url= and wx.addCard's cardList, signed for this WeChat user."""
    login = g.login
    card_id = add_card.offered_card_id(db.session, g.merchant, login.user_key) if login.channel == "wechat" else None
    if card_id is None:
        return jsonify(error=_("没有可领取的微信会员卡")), 404
    try:
        config = jssdk.config_for(g.merchant, request.args.get("url", ""), js_api_list=("addCard",))
        cards = add_card.card_list(g.merchant, card_id, login.user_key)
    except DomainError as exc:
        db.session.rollback()
        return jsonify(error=exc.message), exc.http_status
    return jsonify(config=config, cardList=cards)
