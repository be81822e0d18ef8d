"""The steps the benefit card screens (views_benefit_cards.py) and the paid membership screens (views_membership.py)
share, since a paid membership plan is a benefit card template with levels: finding a card of the right kind, the
template form with its gift pack, the list / delist / disable / enable buttons and taking a card back."""
from flask import abort, flash, redirect, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice.common import merchant_id
from backoffice.forms_benefit_cards import PACK_PREFIX, ActionForm, pack_counts
from backoffice.ui import form_page
from domain.errors import NotFound
from extensions import db
from models import CouponTemplate
from services.cards import benefit_holdings, benefit_refunds, benefit_templates, benefit_texts
from services.shared.tenancy import scoped
from web.requests import new_idempotency_key

ACTIONS = {"list": benefit_templates.list_template, "delist": benefit_templates.delist_template,
           "disable": benefit_templates.disable, "enable": benefit_templates.enable}
ACTION_DONE = {"list": _l("已上架"), "delist": _l("已下架"), "disable": _l("已停用"), "enable": _l("已启用")}


def card_of_kind(card_id, *, membership):
    """A card this merchant issued, of the kind the screen handles: a paid membership on the membership screens, an
    ordinary benefit card on the benefit card screens. Anyone else's card, or the other kind, is 404."""
    try:
        card = benefit_holdings.get_card(db.session, merchant_id(), card_id)
    except NotFound:
        abort(404)
    if bool(card.template.membership) != membership:
        abort(404)
    return card


def template_form_page(page, form, template, context, save, *, done, back):
    """The benefit card form and the plan form: the merchant's coupons for the gift pack with the counts posted (or
    saved on `template`), then the usual form page; `save(gift_pack)` stores it, a gift pack error refuses it."""
    coupon_templates = db.session.scalars(scoped(CouponTemplate, merchant_id()).order_by(CouponTemplate.id)).all()
    if form.is_submitted():
        counts, pack_error = pack_counts(request.form, coupon_templates)
    else:
        counts, pack_error = {e["template_id"]: e["count"] for e in (template.gift_pack if template else [])}, None
    context = {"form": form, **context, "coupon_templates": coupon_templates, "counts": counts,
               "pack_error": pack_error, "pack_prefix": PACK_PREFIX}
    pack = [{"template_id": tid, "count": n} for tid, n in counts.items()]
    return form_page(page, context, lambda: save(pack), done=done, back=back, ok=not pack_error)


def template_action(template, action, back):
    """One of the list / delist / disable / enable buttons pressed on `template`, said in a message, back to `back`."""
    if not ActionForm().validate():
        abort(400)
    ACTIONS[action](db.session, current_user, template.id)
    flash(_("%(title)s %(done)s", title=template.title, done=ACTION_DONE[action]), "success")
    return redirect(back)


def refund_page(page, form, card, key_prefix, *, done, back, context=None):
    """Taking `card` back, with or without money and the gift pack's unused coupons: the idempotency key is minted
    when the form is shown, so a double submit refunds once."""
    page_context = {"form": form, "card": card, "state": benefit_texts.state_text(card), **(context or {})}
    if not form.is_submitted():
        form.key.data = new_idempotency_key(key_prefix)
    return form_page(page, page_context, lambda: benefit_refunds.refund(
        db.session, current_user, card.id, with_money=form.with_money(),
        amount=form.amount.fen if form.with_money() else 0, take_back_coupons=form.take_back.data,
        reason=form.reason.data, key=form.key.data),
        done=done, back=back)
