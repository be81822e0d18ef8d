"""API keys for shops with their own till: list, create (the key is shown once), revoke."""
from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from web.requests import client_ip
from backoffice.forms_api_keys import ApiKeyForm, RevokeApiKeyForm
from backoffice.ui import invalid, refuse
from domain.errors import DomainError, NotFound
from extensions import db
from models import Store
from services.merchant import api_keys as key_service
from services.shared.tenancy import scoped

FORM = "backoffice/merchant/api_key_form.html"


@blueprint.route("/api-keys")
@requires("api_keys.manage")
def api_keys():
    return render_template("backoffice/merchant/api_keys.html", keys=key_service.list_keys(db.session, merchant_id()),
                           revoke_form=RevokeApiKeyForm())


@blueprint.route("/api-keys/new", methods=["GET", "POST"])
@requires("api_keys.manage")
def api_key_new():
    form = ApiKeyForm()
    form.store_ids.choices = [(s.id, s.name)
                              for s in db.session.scalars(scoped(Store, merchant_id()).order_by(Store.id))]
    if not form.is_submitted():
        return render_template(FORM, form=form)
    if not form.validate():
        return invalid(FORM, form=form)
    try:
        created = key_service.create(db.session, current_user, name=form.name.data, store_ids=form.store_ids.data,
                                     ip=client_ip())
    except DomainError as exc:
        return refuse(exc, FORM, form=form)
    # The only time the full key exists outside the till: never cached, never redirected to a bookmarkable URL.
    response = make_response(render_template("backoffice/merchant/api_key_created.html", key=created.key,
                                             plaintext=created.plaintext))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@requires("api_keys.manage")
def api_key_revoke(key_id):
    if not RevokeApiKeyForm().validate_on_submit():
        abort(400)
    try:
        key = key_service.revoke(db.session, current_user, key_id, ip=client_ip())
    except NotFound:
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("backoffice.api_keys"))
    flash(_("密钥 %(prefix)s 已吊销，使用它的收银系统将无法再调用接口", prefix=key.prefix), "success")
    return redirect(url_for("backoffice.api_keys"))
