"""Audiences (人群): build one from member attributes, see how many members it holds and the first 20, save it
under a name, export it (CSV or XLSX)."""
from flask import Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from domain.errors import DomainError
from domain.money import parse_yuan
from extensions import db
from models import CardTemplate, CouponTemplate
from models.member import GENDER_LABELS
from services.audiences import filters as audience_filters, members_in, saved
from services.members import fields as member_fields, levels as level_service, members as member_service
from services.merchant import stores as store_service
from services.shared import reading
from services.shared.tenancy import scoped

LISTS = ("level_ids", "genders", "birthday_months", "tag_ids", "store_ids")
YUAN_FIELDS = ("spend_min", "spend_max", "balance_min", "balance_max")


@blueprint.route("/audiences")
@requires("audiences.manage")
def audiences():
    rows = saved.list_audiences(db.session, merchant_id())
    counts = {row.id: members_in.count(db.session, merchant_id(), saved.filters_of(row)) for row in rows}
    return render_template("backoffice/audiences/list.html", rows=rows, counts=counts)


@blueprint.route("/audiences/build")
@requires("audiences.manage")
def audience_build():
    error, chosen = _chosen(request.args)
    total = sample = None
    if chosen is not None:
        total = members_in.count(db.session, merchant_id(), chosen)
        sample = members_in.sample(db.session, merchant_id(), chosen)
    return render_template("backoffice/audiences/build.html", error=error, total=total, sample=sample,
                           args=request.args, query=request.query_string.decode("utf-8", "replace"),
                           audience_id=request.args.get("audience_id", ""), **_choices())


@blueprint.route("/audiences/count")
@requires("audiences.manage")
def audience_count():
    """The count the builder shows as filters change (static/js/audience_count.js)."""
    error, chosen = _chosen(request.args)
    if chosen is None:
        return jsonify(error=error, text=error)
    total = members_in.count(db.session, merchant_id(), chosen)
    return jsonify(count=total, text=_("符合条件的会员：%(n)s 位", n=total))


@blueprint.route("/audiences/<int:audience_id>")
@requires("audiences.manage")
def audience_open(audience_id):
    row = saved.get(db.session, merchant_id(), audience_id)
    return redirect(url_for("backoffice.audience_build", audience_id=row.id, name=row.name,
                            **_as_args(saved.filters_of(row))))


@blueprint.post("/audiences/save")
@requires("audiences.manage")
def audience_save():
    error, chosen = _chosen(request.form)
    if chosen is None:
        raise DomainError(error)
    audience_id = request.form.get("audience_id") or None
    row = saved.save(db.session, current_user, int(audience_id) if audience_id and audience_id.isdigit() else None,
                     name=request.form.get("name"), filters=chosen)
    return redirect(url_for("backoffice.audience_open", audience_id=row.id))


@blueprint.post("/audiences/<int:audience_id>/delete")
@requires("audiences.manage")
def audience_delete(audience_id):
    saved.delete(db.session, current_user, audience_id)
    return redirect(url_for("backoffice.audiences"))


@blueprint.route("/audiences/export")
@requires("audiences.manage")
def audience_export():
    error, chosen = _chosen(request.args)
    if chosen is None:
        raise DomainError(error)
    # an export only reads: the replica when one is configured
    data, mimetype, ext = members_in.export(reading.session(), merchant_id(), chosen, request.args.get("fmt"))
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=audience.{ext}"})


def _chosen(values):
    """(error text or None, Filters or None) from a form or query string: lists repeat their field, money is
    typed in yuan, an industry field is `f_<key>` (a select's option) or `f_<key>_min` / `f_<key>_max`."""
    try:
        return None, audience_filters.parse(_as_filter_values(values))
    except DomainError as exc:
        return exc.message, None


def _as_filter_values(values):
    out = {key: values.get(key) for key in values if key not in LISTS and not key.startswith("f_")}
    for key in LISTS:
        out[key] = values.getlist(key) if isinstance(values, MultiDict) else values.get(key)
    for key in YUAN_FIELDS:
        if values.get(key):
            out[key] = parse_yuan(values.get(key))
    custom = []
    for field in _fields():
        if field.field_type == "select" and values.get(f"f_{field.key}"):
            custom.append((field.key, "in", [values.get(f"f_{field.key}")]))
        elif field.field_type == "number":
            low, high = values.get(f"f_{field.key}_min") or None, values.get(f"f_{field.key}_max") or None
            if low is not None or high is not None:
                custom.append((field.key, "range", [low, high]))
    out["custom"] = custom
    return out


def _as_args(chosen):
    """A saved audience as the builder's query string."""
    data = chosen.to_json()
    for key in YUAN_FIELDS:
        if key in data:
            data[key] = f"{data[key] / 100:.2f}"
    for key, op, value in data.pop("custom", []):
        if op == "in":
            data[f"f_{key}"] = value[0]
        else:
            data[f"f_{key}_min"], data[f"f_{key}_max"] = value
    return {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in data.items() if v is not None}


def _fields():
    """The merchant's fields an audience can filter by: select and number fields."""
    return [f for f in member_fields.active_fields(db.session, merchant_id()) if f.field_type in ("select", "number")]


def _choices():
    mid = merchant_id()
    return {
        "levels": level_service.list_levels(db.session, mid), "tags": member_service.tags_of_merchant(db.session, mid),
        "stores": store_service.list_stores(db.session, mid),
        "fields": _fields(), "gender_labels": GENDER_LABELS,
        "coupon_templates": db.session.scalars(scoped(CouponTemplate, mid).order_by(CouponTemplate.id)).all(),
        "card_templates": db.session.scalars(scoped(CardTemplate, mid).order_by(CardTemplate.id)).all(),
    }
