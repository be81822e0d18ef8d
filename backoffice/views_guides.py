"""专属导购 in the back office (owner and admin: guides.reassign): a member's guide changed on their page with a
reason (the member page's guide block and its history), and 导购分配, which moves members from one guide to another
(all of a guide's members, the ticked ones, or those an audience holds). Every change is kept in the member's guide
history and audited (services/recruitment/guides.py)."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import flash_domain_error, merchant_id, parse_int, requires
from backoffice.forms_guides import SCOPES, GuideMoveForm, MemberGuideForm
from backoffice.views_members import render_detail
from domain.errors import DomainError
from domain.recruitment import GUIDE_CHANGE_LABELS
from extensions import db
from services.audiences import saved as saved_audiences
from services.members import members as member_service
from services.recruitment import guides

TEMPLATE = "backoffice/guides/index.html"
MEMBERS_PER_PAGE = 50


# --- one member: the guide block of the member's page -------------------------------------------------------

@blueprint.context_processor
def _member_guide_block():
    def member_guide(member):
        """The member page's 专属导购 block: the history, and the change form for those who may change it (the
        refused one, with its messages, when the page is shown again after a refusal)."""
        form = g.get("guide_form")
        if form is None and current_user.can("guides.reassign"):
            form = MemberGuideForm(formdata=None).setup(guides.choosable(db.session, member.merchant_id),
                                                        member.guide_id)
        return {"history": guides.history(db.session, member.merchant_id, member.id), "form": form,
                "how_labels": GUIDE_CHANGE_LABELS}

    return {"member_guide": member_guide}


@blueprint.route("/members/<int:member_id>/guide", methods=["POST"])
@requires("guides.reassign")
def member_guide_change(member_id):
    member = member_service.get_visible_member(db.session, current_user, member_id)
    form = MemberGuideForm().setup(guides.choosable(db.session, merchant_id()), member.guide_id)
    if not form.validate():
        return _refused_on_member_page(member, form)
    try:
        guides.reassign(db.session, current_user, member, form.chosen_guide_id(), reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return _refused_on_member_page(member, form, flashed=True)
    flash(_("已更换专属导购") if member.guide_id else _("已解除专属导购"), "success")
    return redirect(url_for("backoffice.member_detail", member_id=member.id) + "#member-guide")


def _refused_on_member_page(member, form, flashed=False):
    if not flashed:
        first = next((errors[0] for errors in form.errors.values() if errors), None)
        if first:
            flash(str(first), "warning")  # the block sits far down the page: say it at the top too
    g.guide_form = form
    return render_detail(member, 400)


# --- many members: 导购分配 -------------------------------------------------------------------------------------

@blueprint.route("/guides")
@requires("guides.reassign")
def guides_page():
    return _render(_chosen_guide_id(request.args.get("from")))


@blueprint.route("/guides/move", methods=["POST"])
@requires("guides.reassign")
def guides_move():
    from_id = _chosen_guide_id(request.form.get("from_guide_id"))
    form = GuideMoveForm()
    if not form.validate():
        return _render(from_id, form, 400)
    try:
        moved = guides.move_members(
            db.session, current_user, from_guide_id=form.from_guide_id.data, to_guide_id=form.to_guide_id.data,
            reason=form.reason.data, member_ids=request.form.getlist("member_ids")
            if form.scope.data == "selected" else None, filters=_audience_filters(form),
            tz_name=current_user.merchant.timezone)
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return _render(from_id, form, 400)
    flash(_("已将 %(n)s 位会员转给新导购", n=moved), "success")
    return redirect(url_for("backoffice.guides_page", **{"from": form.to_guide_id.data}))


def _audience_filters(form):
    if form.scope.data != "audience":
        return None
    if not form.audience_id.data:
        raise DomainError("请选择人群")
    return saved_audiences.filters_of(saved_audiences.get(db.session, merchant_id(), form.audience_id.data))


def _chosen_guide_id(raw):
    """A guide shown on the page: someone among this merchant's guides (or who still guides members), else none."""
    wanted = parse_int(raw)
    return wanted if wanted is not None and wanted in {s.id for s, _n in _guides_with_counts()} else None


def _guides_with_counts():
    if "guides_counted" not in g:
        g.guides_counted = guides.guides_with_counts(db.session, merchant_id())
    return g.guides_counted


def _render(from_id, form=None, status=200):
    mid = merchant_id()
    counted = _guides_with_counts()
    chosen = next((staff for staff, _n in counted if staff.id == from_id), None)
    audiences = saved_audiences.list_audiences(db.session, mid)
    form = (form or GuideMoveForm(formdata=None)).setup(guides.choosable(db.session, mid), from_id, audiences)
    page = parse_int(request.args.get("page"), 1)
    pagination = None
    if chosen is not None:
        pagination = db.paginate(guides.guided_members(mid, chosen.id), page=page if page and page > 0 else 1,
                                 per_page=MEMBERS_PER_PAGE, error_out=False)
    if chosen is None and form.errors:
        flash(str(next(iter(form.errors.values()))[0]), "warning")  # the form is not on the page to show it
    ticked = set(request.form.getlist("member_ids")) if request.method == "POST" else set()
    return render_template(TEMPLATE, counted=counted, chosen=chosen, form=form, pagination=pagination,
                           ticked=ticked, scopes=SCOPES, show_full_mobile=current_user.can("members.edit")), status
