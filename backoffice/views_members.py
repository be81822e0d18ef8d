"""Members: the searchable list, the profile form (create/edit) and the detail page."""
from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice import blueprint, member_timeline
from backoffice.common import merchant_id, parse_int, requires
from web.requests import new_idempotency_key
from backoffice.forms_members import BindCardForm, MemberForm, WalletFreezeForm
from backoffice.ui import form_page
from backoffice.views_audit import shown_entries
from domain import levels as level_rules
from domain import roles
from domain.errors import DomainError
from domain.money import parse_yuan
from extensions import db
from models import AuditLog, Staff, Wallet
from models.member import GENDER_LABELS, GENDERS
from services.members import levels as level_service, fields as member_fields, holdings as member_holdings, members as member_service
from services.cards import physical as member_cards
from services.recruitment import guides as guide_service
from services.points import ledger as points_service
from services.merchant import stores as store_service
from services.wallet import journal as wallet_service
from services.shared.tenancy import scoped

FORM_TEMPLATE = "backoffice/members/form.html"
DETAIL_TEMPLATE = "backoffice/members/detail.html"
MAX_QUERY_LENGTH = 64

# Last-visit filter: value in the URL -> (search argument, days, label).
VISIT_FILTERS = {
    "in7": ("visited_within_days", 7, _l("近7天到店")),
    "in30": ("visited_within_days", 30, _l("近30天到店")),
    "in90": ("visited_within_days", 90, _l("近90天到店")),
    "out30": ("not_visited_days", 30, _l("超过30天未到店")),
    "out90": ("not_visited_days", 90, _l("超过90天未到店")),
    "out180": ("not_visited_days", 180, _l("超过180天未到店")),
}
LEVEL_CHANGE_REASONS = {"auto": _l("自动升级"), "manual": _l("手动调整"), "join": _l("入会"),
                        "paid": _l("开通付费会员"), "paid_expiry": _l("付费会员到期"), "paid_refund": _l("付费会员退款")}


# --- list -----------------------------------------------------------------------------------------

@blueprint.route("/members")
@requires("members.view")
def members():
    mid = merchant_id()
    levels = level_service.list_levels(db.session, mid)
    tags = member_service.tags_of_merchant(db.session, mid)
    criteria, ignored = _parse_filters(request.args, levels, tags)
    page = parse_int(request.args.get("page"), 1)
    page = page if page and page > 0 else 1
    pagination = db.paginate(member_service.search(current_user, **criteria), page=page,
                             per_page=current_app.config["MEMBERS_PER_PAGE"], error_out=False)
    ids = [m.id for m in pagination.items]
    balances = dict(db.session.execute(
        select(Wallet.member_id, Wallet.principal + Wallet.bonus)
        .where(Wallet.merchant_id == mid, Wallet.kind == "member", Wallet.member_id.in_(ids))
    ).all()) if ids else {}
    kept = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "backoffice/members/list.html", pagination=pagination, balances=balances,
        level_by_id={lv.id: lv for lv in levels}, levels=levels, tags=tags, args=request.args,
        kept_args=kept, ignored=ignored, gender_labels=GENDER_LABELS,
        visit_filters=VISIT_FILTERS, show_full_mobile=current_user.can("members.edit"))


def _parse_filters(args, levels, tags):
    """Search arguments from the query string. A bad value is dropped (and named), never an error."""
    criteria, ignored = {}, []
    q = (args.get("q") or "").strip()
    if q:
        criteria["q"] = q[:MAX_QUERY_LENGTH]
    level_ids, tag_ids = {lv.id for lv in levels}, {t.id for t in tags}
    checks = [
        ("level", "level_id", lambda v: _int_in(v, level_ids), _l("等级")),
        ("gender", "gender", lambda v: v if v in GENDERS else None, _l("性别")),
        ("month", "birthday_month", lambda v: _int_in(v, range(1, 13)), _l("生日月份")),
        ("tag", "tag_id", lambda v: _int_in(v, tag_ids), _l("标签")),
        ("spend_min", "spend_min", _yuan_or_none, _l("累计消费下限")),
        ("spend_max", "spend_max", _yuan_or_none, _l("累计消费上限")),
    ]
    for param, name, parse, label in checks:
        raw = (args.get(param) or "").strip()
        if not raw:
            continue
        value = parse(raw)
        if value is None:
            ignored.append(label)
        else:
            criteria[name] = value
    visit = (args.get("visit") or "").strip()
    if visit:
        if visit in VISIT_FILTERS:
            name, days, _label = VISIT_FILTERS[visit]
            criteria[name] = days
        else:
            ignored.append(_l("到店时间"))
    return criteria, ignored


def _int_in(raw, allowed):
    value = parse_int(raw)
    return value if value in allowed else None


def _yuan_or_none(raw):
    try:
        return parse_yuan(raw)
    except DomainError:
        return None


# --- create / edit --------------------------------------------------------------------------------

@blueprint.route("/members/new", methods=["GET", "POST"])
@requires("members.create")
def member_new():
    return _save(None)


@blueprint.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@requires("members.edit")
def member_edit(member_id):
    return _save(member_service.get_visible_member(db.session, current_user, member_id))


def _save(member):
    mid = merchant_id()
    editing = member is not None
    guide_locked = current_user.role == roles.GUIDE  # a guide's new customers are their own
    field_defs = member_fields.active_fields(db.session, mid)
    form = MemberForm().setup(store_service.list_stores(db.session, mid), _guides(mid, member),
                              member_service.tags_of_merchant(db.session, mid), editing)
    posted = form.is_submitted()
    if editing and not posted:
        form.fill_from(member)
    if guide_locked:
        form.guide_id.data = current_user.id
    custom = _posted_custom_fields(field_defs) if posted else dict(member.custom_fields or {}) if editing else {}
    referrer = {}

    def referrer_known():
        if form.referrer_mobile.data:
            found = member_service.find_by_mobile(db.session, mid, form.referrer_mobile.data)
            if found is None:
                form.referrer_mobile.errors.append(_("没有找到该手机号的会员"))
                return False
            referrer["id"] = found.id
        return True

    def save():
        tag_ids = list(form.tag_ids.data or [])
        if (form.new_tag.data or "").strip():
            tag = member_service.ensure_tag(db.session, mid, form.new_tag.data)
            if tag.id not in tag_ids:
                tag_ids.append(tag.id)
        # The guide is changed on the member's page, with a reason kept in their guide history (views_guides.py);
        # a new member's guide is bound the way guides are bound, into that history too.
        profile = dict(mobile=form.mobile.data, name=form.name.data, gender=form.gender.data,
                       birthday=form.birthday.data, custom_fields=custom,
                       guide_id=member.guide_id if editing else None,
                       referrer_id=referrer.get("id"), home_store_id=form.home_store_id.data, tag_ids=tag_ids)
        if editing:
            return member_service.update_member(db.session, current_user, member, status=form.status.data, **profile)
        created = member_service.create_member(db.session, mid, actor=current_user, **profile)
        return guide_service.bind_new_member(db.session, current_user, created,
                                             current_user.id if guide_locked else form.guide_id.data)

    context = {"form": form, "member": member, "field_defs": field_defs, "custom": custom, "field_errors": {},
               "guide_locked": guide_locked}
    return form_page(FORM_TEMPLATE, context, save, ok=referrer_known,
                     done=_("会员资料已保存") if editing else _("会员已创建"),
                     back=lambda saved: url_for("backoffice.member_detail", member_id=saved.id))


def _guides(mid, member):
    guides = db.session.scalars(
        scoped(Staff, mid).where(Staff.role == roles.GUIDE, Staff.active.is_(True)).order_by(Staff.id)).all()
    if member is not None and member.guide is not None and member.guide not in guides:
        guides.append(member.guide)
    return guides


def _posted_custom_fields(field_defs):
    values = {}
    for field in field_defs:
        name = f"cf_{field.key}"
        if field.field_type == "boolean":
            values[field.key] = name in request.form
        else:
            values[field.key] = (request.form.get(name) or "").strip()
    return values


# --- detail ---------------------------------------------------------------------------------------

@blueprint.route("/members/<int:member_id>")
@requires("members.view")
def member_detail(member_id):
    return render_detail(member_service.get_visible_member(db.session, current_user, member_id))


def render_detail(member, status=200, freeze_form=None, card_form=None):
    """The member's page; the action views render it again (400) when a small form on it is refused."""
    mid = merchant_id()
    levels = level_service.list_levels(db.session, mid)
    level_by_id = {lv.id: lv for lv in levels}
    progress = level_rules.MemberProgress.of(member)
    current_rank = member.level.rank if member.level is not None else None
    target, gaps = level_rules.next_level_gaps(current_rank, [lv.to_rule() for lv in levels], progress)
    purse = wallet_service.member_wallet(db.session, mid, member.id)
    if freeze_form is None:
        freeze_form = WalletFreezeForm(formdata=None, wallet_id=purse.id, frozen="0" if purse.frozen else "1",
                                       key=new_idempotency_key("wallet-freeze"))
    audit_entries = []
    if current_user.can("audit.view"):
        audit_entries = db.session.scalars(
            select(AuditLog).options(selectinload(AuditLog.staff))
            .where(AuditLog.merchant_id == mid, AuditLog.target_type == "member",
                   AuditLog.target_id == str(member.id))
            .order_by(AuditLog.id.desc()).limit(50)).all()
    timeline_page, timeline_chosen, timeline_ignored = member_timeline.read(request.args, mid, member.id)
    return render_template(
        DETAIL_TEMPLATE, member=member, custom_rows=_custom_rows(mid, member),
        timeline_page=timeline_page, timeline_chosen=timeline_chosen, timeline_ignored=timeline_ignored,
        timeline_kinds=member_timeline.KIND_LABELS, timeline_link=member_timeline.link_of,
        next_level=level_by_id.get(target.id) if target is not None else None, gaps=gaps,
        lots=points_service.lots_of(db.session, mid, member.id),
        points_history=points_service.history_of(db.session, mid, member.id),
        wallet=purse, journal=wallet_service.journal_of(db.session, mid, purse.id),
        level_history=level_service.history_of(db.session, mid, member.id), level_reasons=LEVEL_CHANGE_REASONS,
        audit_entries=shown_entries(audit_entries, mid),
        freeze_form=freeze_form, card_form=card_form or BindCardForm(formdata=None),
        show_full_mobile=current_user.can("members.edit"),
        holdings=member_holdings.holdings(db.session, mid, member.id),
        card_status=member_cards.status, card_labels=member_cards.STATUS_LABELS, new_key=new_idempotency_key,
    ), status


def _custom_rows(mid, member):
    """(label, shown value) for each stored industry field, in the merchant's order."""
    values = member.custom_fields or {}
    rows = []
    known = set()
    for field in member_fields.all_fields(db.session, mid):
        known.add(field.key)
        if field.key in values:
            rows.append((field.label, _shown(field.field_type, values[field.key])))
    rows += [(key, _shown("text", value)) for key, value in values.items() if key not in known]
    return rows


def _shown(field_type, value):
    if field_type == "boolean" or isinstance(value, bool):
        return _("是") if value else _("否")
    return value
