"""Stores: list, create, edit, and each store's pay QR (门店收款码: members scan it to pay at member prices)."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from backoffice import blueprint
from backoffice.common import member_page_url, merchant_id, qr_download, requires
from backoffice.forms import StoreForm
from backoffice.ui import form_page
from extensions import db
from models import Store
from services.members import qr as member_qr
from services.merchant import stores as store_service
from services.shared.tenancy import get_owned

TEMPLATE = "backoffice/merchant/store_form.html"


@blueprint.route("/stores")
@requires("stores.manage")
def stores():
    rows = store_service.list_stores(db.session, merchant_id())
    pay_qrs = {store.id: Markup(member_qr.svg(pay_url(store), label=_("门店收款码"))) for store in rows}
    return render_template("backoffice/merchant/stores.html", stores=rows, pay_qrs=pay_qrs)


def pay_url(store):
    """What the store's pay QR opens: the member self-pay page of this store (member_h5/views_self_pay.py)."""
    return member_page_url(f"pay/{store.id}")


@blueprint.route("/stores/<int:store_id>/pay-qr.png")
@requires("stores.manage")
def store_pay_qr_png(store_id):
    store = get_owned(db.session, Store, merchant_id(), store_id)
    return qr_download(pay_url(store), f"store-pay-{store.id}", "png")


@blueprint.route("/stores/new", methods=["GET", "POST"])
@requires("stores.manage")
def store_new():
    return _save(None)


@blueprint.route("/stores/<int:store_id>/edit", methods=["GET", "POST"])
@requires("stores.manage")
def store_edit(store_id):
    return _save(get_owned(db.session, Store, merchant_id(), store_id))


def _save(store):
    form = StoreForm(obj=store)
    return form_page(TEMPLATE, {"form": form, "store": store}, lambda: store_service.save_store(
        db.session, current_user, store, name=form.name.data, address=form.address.data, phone=form.phone.data,
        active=form.active.data), done=_("门店已保存"), back=url_for("backoffice.stores"))
