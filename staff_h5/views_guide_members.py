"""我的会员 on the staff page (from the 会员 tab): a guide's own members, searched by phone, name or card number, a
page at a time. Only guides have such a list, and only their own members are in it (the query is scoped to the
signed-in guide, services/recruitment/guides.py)."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from domain import roles
from extensions import db
from services.recruitment import guides
from staff_h5 import blueprint
from staff_h5.forms import ActionForm
from staff_h5.views import staff_required

PER_PAGE = 20
MAX_QUERY = 64
MAX_PAGE = 10_000


def has_own_members(staff):
    """Whether the 会员 tab offers 我的会员: a guide's list of the members they serve."""
    return roles.sees_only_own_guided_members(staff.role)


@blueprint.route("/members/mine")
@staff_required
def guide_members():
    if not has_own_members(current_user):
        return render_template("staff_h5/message.html", title=_("没有专属会员"), icon="warn",
                               text=_("「我的会员」是导购服务的会员名单，您的角色没有专属会员。"),
                               logout=ActionForm()), 403
    query = (request.args.get("q") or "").replace("\x00", "").strip()[:MAX_QUERY]
    page = _page_number(request.args.get("page"))
    pagination = db.paginate(guides.guided_members(current_user.merchant_id, current_user.id, query or None),
                             page=page, per_page=PER_PAGE, error_out=False)
    return render_template("staff_h5/members/guide_members.html", pagination=pagination, query=query,
                           logout=ActionForm())


def _page_number(raw):
    try:
        page = int(raw or 1)
    except (TypeError, ValueError):
        return 1
    return page if 0 < page <= MAX_PAGE else 1
