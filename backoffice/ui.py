"""Small helpers for back-office views and templates: error handling of POSTs, display filters."""
import json

from flask import flash, redirect, render_template
from flask_babel import gettext as _

from backoffice import blueprint
from backoffice.common import commit, flash_domain_error
from backoffice.forms import tenths_text
from domain.errors import DomainError
from extensions import db


def refuse(exc, template, **context):
    """A service refused the request: undo everything, say why, show the form again (400).

    NotFound becomes a 404 (another merchant's id, or a record the staff member may not see).
    """
    db.session.rollback()
    flash_domain_error(exc)
    return render_template(template, **context), 400


def invalid(template, **context):
    """The form itself did not validate: show it again with its messages (400 on a POST)."""
    return render_template(template, **context), 400


def form_page(page, context, save, *, done, back, ok=True):
    """The life of a back-office form: shown on GET; on POST validated (and `ok`, for checks outside the form),
    then `save()`; a refusal shows it again, success commits, says `done` and redirects to `back`.
    """
    form = context["form"]
    if not form.is_submitted():
        return render_template(page, **context)
    if not form.validate() or not ok:
        return invalid(page, **context)
    try:
        save()
    except DomainError as exc:
        return refuse(exc, page, **context)
    commit()
    flash(done, "success")
    return redirect(back)


@blueprint.app_template_filter("discount")
def discount_label(percent):
    """95 -> '9.5折'; 100 -> '无折扣'."""
    if percent is None or int(percent) >= 100:
        return _("无折扣")
    return _("%(zhe)s折", zhe=tenths_text(percent))


@blueprint.app_template_filter("multiplier")
def multiplier_label(tenths):
    """15 -> '1.5倍'."""
    return _("%(times)s倍", times=tenths_text(tenths if tenths is not None else 10))


@blueprint.app_template_filter("compact_json")
def compact_json(value):
    if value in (None, {}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
