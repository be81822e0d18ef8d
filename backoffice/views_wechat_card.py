"""微信会员卡: the merchant's member card in WeChat's card package, edited with a preview of its face; each save is
kept, then sent to WeChat (services/wechat_cards). A save WeChat refuses is kept too, with WeChat's message on the
page, and the next save tries again."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import flash_domain_error, merchant_id, requires
from backoffice.forms_wechat_card import WechatCardForm
from backoffice.ui import invalid
from domain.errors import DomainError
from domain.wechat_member_card import CELLS, COLORS
from channels import alipay as alipay_channel
from extensions import db
from services.alipay_cards import template as alipay_template
from services.card_push import push as card_push
from services.wechat_cards import face, sync
from web import boundary

PAGE = "backoffice/wechat_card/edit.html"


@blueprint.route("/wechat-card", methods=["GET", "POST"])
@requires("settings.manage")
def wechat_card():
    merchant = current_user.merchant
    card = face.card_for(db.session, merchant_id())
    form = WechatCardForm()
    if not form.is_submitted():
        form.fill(face.values_of(card) if card is not None else face.defaults(merchant))

    def context(**extra):
        alipay = alipay_template.template_for(db.session, merchant.id)
        return dict(form=form, card=card, state=face.sync_state(card), colors=COLORS, cells=CELLS,
                    holders=face.holders(db.session, merchant.id), backlog=card_push.backlog(db.session, merchant.id),
                    alipay=alipay, alipay_state=alipay_template.sync_state(alipay, card),
                    alipay_configured=alipay_channel.configured(merchant),
                    alipay_holders=alipay_template.holders(db.session, merchant.id), **extra)

    if not form.is_submitted():
        return render_template(PAGE, **context())
    if not form.validate():
        return invalid(PAGE, **context())
    logo = form.logo.data.read(face.LOGO_MAX_BYTES + 1) if form.logo.data else None
    try:
        card = face.save(db.session, current_user, merchant, **form.values(), logo=logo)
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return render_template(PAGE, **context(field_errors=exc.details.get("fields") or {})), 400
    boundary.commit_now()  # the edit is kept whatever WeChat answers
    if sync.sync(db.session, merchant):
        flash(_("会员卡已保存并同步到微信"), "success")
    else:
        flash(_("会员卡已保存，但同步到微信失败：%(why)s。再次保存时会重试。", why=card.sync_error), "warning")
    _sync_alipay(merchant)
    return redirect(url_for("backoffice.wechat_card"))


def _sync_alipay(merchant):
    """The same face in Alipay's card package, when the merchant has an Alipay app."""
    if not alipay_channel.configured(merchant):
        return
    boundary.commit_now()  # what WeChat answered is kept whatever Alipay answers
    if alipay_template.sync(db.session, merchant):
        flash(_("会员卡已同步到支付宝卡包"), "success")
    else:
        why = alipay_template.template_for(db.session, merchant.id).sync_error
        flash(_("同步到支付宝卡包失败：%(why)s。再次保存时会重试。", why=why), "warning")
