"""Staff accounts: list, create, edit (role, stores, disable, reset password)."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms import StaffCreateForm, StaffEditForm
from backoffice.ui import form_page
from domain import roles
from extensions import db
from models import Staff
from services.merchant import staff as staff_service, stores as store_service
from services.shared.tenancy import get_owned

TEMPLATE = "backoffice/merchant/staff_form.html"


@blueprint.route("/staff")
@requires("staff.manage")
def staff_list():
    return render_template("backoffice/merchant/staff_list.html", staff=staff_service.list_staff(db.session, merchant_id()))


@blueprint.route("/staff/new", methods=["GET", "POST"])
@requires("staff.manage")
def staff_new():
    form = StaffCreateForm().setup(current_user, _stores())
    return form_page(TEMPLATE, {"form": form, "person": None}, lambda: staff_service.create_staff(
        db.session, merchant_id(), username=form.username.data, name=form.name.data, role=form.role.data,
        password=form.password.data, mobile=form.mobile.data, store_ids=form.store_ids.data, actor=current_user),
        done=_("员工账号已创建"), back=url_for("backoffice.staff_list"))


@blueprint.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@requires("staff.manage")
def staff_edit(staff_id):
    person = get_owned(db.session, Staff, merchant_id(), staff_id)
    form = StaffEditForm().setup(current_user, _stores())
    if person.role == roles.OWNER and current_user.role != roles.OWNER:
        # Only an owner may edit an owner; keep the owner choice so the form shows the truth.
        form.role.choices = [(roles.OWNER, person.role_label)] + form.role.choices
    if not form.is_submitted():
        form.name.data, form.mobile.data, form.role.data = person.name, person.mobile, person.role
        form.store_ids.data, form.active.data = [s.id for s in person.stores], person.active
    return form_page(TEMPLATE, {"form": form, "person": person}, lambda: staff_service.update_staff(
        db.session, current_user, person, name=form.name.data, role=form.role.data, mobile=form.mobile.data,
        store_ids=form.store_ids.data, active=form.active.data, password=form.password.data or None),
        done=_("员工信息已保存"), back=url_for("backoffice.staff_list"))


def _stores():
    return store_service.list_stores(db.session, merchant_id())
