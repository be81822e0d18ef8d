"""Small helpers for back-office views and templates: error handling of POSTs, display filters."""
from flask import flash, redirect, render_template
from flask_babel import gettext as _

from backoffice import blueprint
from backoffice.common import flash_domain_error
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


def form_page(page, context, save, *, done, back, ok=True, form=None):
    """The one shape of every back-office form (create, edit, settings, actions on a record): shown on GET; on
    POST validated, then `ok` (checks outside the form: a bool, or a callable run once the form is valid that adds
    its own messages), then `save()`. A refusal (DomainError) undoes everything and shows the form again (400),
    with the per-field messages a refusal may carry as `field_errors`; success says `done` and
    redirects to `back` (the redirect commits, at the request boundary). `done` and `back` may be callables of
    what `save()` returned (a new record, say).

    `page` is rendered with `context`, a dict or, for a page only shown again when something is wrong, a callable
    that makes it then; `form` is the form being posted, by default `context["form"]`.
    """
    page_context = context if callable(context) else lambda: context
    form = page_context()["form"] if form is None else form
    if not form.is_submitted():
        return render_template(page, **page_context())
    if not form.validate() or not (ok() if callable(ok) else ok):
        return invalid(page, **page_context())
    try:
        saved = save()
    except DomainError as exc:
        db.session.rollback()  # first, so a page made now shows nothing of the refused change
        flash_domain_error(exc)
        fields = exc.details.get("fields")
        return render_template(page, **{**page_context(), **({"field_errors": fields} if fields else {})}), 400
    message = done(saved) if callable(done) else done
    target = back(saved) if callable(back) else back
    flash(message, "success")
    return redirect(target)


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
