"""储值折上折 rules in the back office: list with a preview, create, edit, delete (audited)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from web.requests import client_ip
from backoffice.forms_balance_discount import BalanceDiscountForm, rule_data
from backoffice.ui import form_page
from extensions import db
from models import BalanceDiscountRule
from services.wallet import balance_discount
from services.shared.tenancy import get_owned

FORM = "backoffice/wallet/balance_discount_form.html"


@blueprint.route("/balance-discounts")
@requires("cards.manage")
def balance_discounts():
    rows = balance_discount.list_rules(db.session, merchant_id())
    return render_template("backoffice/wallet/balance_discounts.html", rows=rows, describe=balance_discount.describe,
                           action=FlaskForm())


@blueprint.route("/balance-discounts/new", methods=["GET", "POST"])
@requires("cards.manage")
def balance_discount_new():
    return _save(None)


@blueprint.route("/balance-discounts/<int:rule_id>/edit", methods=["GET", "POST"])
@requires("cards.manage")
def balance_discount_edit(rule_id):
    return _save(get_owned(db.session, BalanceDiscountRule, merchant_id(), rule_id))


@blueprint.route("/balance-discounts/<int:rule_id>/delete", methods=["POST"])
@requires("cards.manage")
def balance_discount_delete(rule_id):
    if not FlaskForm().validate():
        abort(400)
    balance_discount.delete_rule(db.session, current_user, rule_id, ip=client_ip())
    flash(_("规则已删除"), "success")
    return redirect(url_for("backoffice.balance_discounts"))


def _save(row):
    form = BalanceDiscountForm(data=rule_data(row) if row is not None else None)
    return form_page(FORM, {"form": form, "rule": row}, lambda: balance_discount.save_rule(
        db.session, current_user, row.id if row else None, ip=client_ip(), **form.values()),
        done=_("折上折规则已保存"), back=url_for("backoffice.balance_discounts"))
