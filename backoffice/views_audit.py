"""The audit trail of staff actions, newest first, as sentences (backoffice/audit_sentences.py)."""
from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice import blueprint
from backoffice.audit_sentences import Names, present
from backoffice.common import merchant_id, parse_int, requires
from extensions import db
from models import Audience, AuditLog, Level, MemberFieldDef, Staff, Store, Tag

PER_PAGE = 50


def merchant_names(mid):
    """The names audit sentences use for ids and custom-field keys: one small query per kind, merchant-scoped."""
    def by_id(model, column):
        return dict(db.session.execute(select(model.id, column).where(model.merchant_id == mid)).all())

    fields = dict(db.session.execute(select(MemberFieldDef.key, MemberFieldDef.label)
                                     .where(MemberFieldDef.merchant_id == mid)).all())
    return Names(stores=by_id(Store, Store.name), staff=by_id(Staff, Staff.name), levels=by_id(Level, Level.name),
                 tags=by_id(Tag, Tag.name), audiences=by_id(Audience, Audience.name), member_fields=fields)


def shown_entries(entries, mid):
    return present(entries, merchant_names(mid)) if entries else []


@blueprint.route("/audit")
@requires("audit.view")
def audit_log():
    page = parse_int(request.args.get("page"), 1)
    query = (select(AuditLog).options(selectinload(AuditLog.staff))
             .where(AuditLog.merchant_id == merchant_id()).order_by(AuditLog.id.desc()))
    pagination = db.paginate(query, page=page if page and page > 0 else 1, per_page=PER_PAGE, error_out=False)
    return render_template("backoffice/merchant/audit_log.html", pagination=pagination,
                           entries=shown_entries(pagination.items, merchant_id()))
