"""渠道分析: what each channel (a store's or staff member's code, a share channel's link, a member's invite link, a
campaign, a mass message, a staff member's own sign-ups, 自然流量) and each staff member brought in a period: joins,
first payments, money paid in the first 30 days, coupon claims, card purchases and top-ups; the members one channel
brought; the tables as CSV or XLSX. Figures come from services/recruitment/channel_report.py, read from the replica
when one is configured."""
from datetime import date

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import requires
from domain import channel_report as rules
from domain.clock import local_today
from domain.errors import NotFound
from domain.money import format_yuan
from domain.recruitment import SHARE_CHANNEL_LABELS
from models import RecruitSource, Staff, Store
from services.recruitment import channel_members, channel_report
from services.shared import reading, spreadsheets
from services.shared.tenancy import get_owned, scoped

DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
VIEWS = ("sources", "staff")
SORT_LABELS = {"joins": "入会", "first_payments": "首次消费", "money": "首30天实付", "coupon_claims": "领券",
               "coupon_money": "购券金额",
               "card_count": "购卡笔数", "card_money": "购卡金额", "topup_count": "充值笔数", "topup_money": "充值金额",
               "membership_count": "付费会员", "membership_money": "付费会员金额"}


class Filters:
    """The report's query string, checked: a period (the last 30 days unless a readable one was asked for), one of
    the merchant's stores (another merchant's is a 404), a kind of channel, a sort and a page."""

    def __init__(self, session, merchant, args):
        today = local_today(merchant.timezone)
        self.period, self.refusal = rules.period_of(_date(args.get("date_from")), _date(args.get("date_to")), today)
        self.store = _owned_or_none(session, Store, merchant.id, args.get("store_id"))
        kind = args.get("kind", "")
        self.kind = kind if kind in rules.ROW_KINDS else ""
        self.sort, self.direction = rules.sort_of(args.get("sort"), args.get("dir"))
        page = args.get("page", "")
        self.page = int(page) if page.isdigit() and len(page) < 7 else 1
        self.scope = channel_report.scope_of(merchant, self.period, self.store.id if self.store else None)

    def kept(self, **changes):
        """The query string of this report with `changes`, for links and the pager (blank values left out)."""
        values = {"date_from": self.period.first.isoformat(), "date_to": self.period.last.isoformat(),
                  "store_id": self.store.id if self.store else "", "kind": self.kind, "sort": self.sort,
                  "dir": self.direction, **changes}
        return {key: value for key, value in values.items() if value not in ("", None)}

    def period_args(self):
        return {key: value for key, value in self.kept().items() if key in ("date_from", "date_to", "store_id")}


@blueprint.route("/reports/channels")
@requires("reports.view")
def channel_report_page():
    session, merchant = reading.session(), current_user.merchant
    filters = Filters(session, merchant, request.args)
    rows = channel_report.by_source(session, filters.scope)
    chosen = [row for row in rows if not filters.kind or row.kind == filters.kind]
    page = channel_members.Page.of_list(channel_report.ordered(chosen, filters.sort, filters.direction), filters.page)
    return render_template("backoffice/channels/sources.html", filters=filters, kinds=channel_report.by_kind(rows),
                           total=channel_report.total(rows), page=page, pager_args=filters.kept(),
                           chosen_total=channel_report.total(chosen) if filters.kind else None,
                           **_choices(session, merchant))


@blueprint.route("/reports/channels/staff")
@requires("reports.view")
def channel_staff_page():
    session, merchant = reading.session(), current_user.merchant
    filters = Filters(session, merchant, request.args)
    rows = channel_report.ordered(channel_report.by_staff(session, filters.scope), filters.sort, filters.direction)
    return render_template("backoffice/channels/staff.html", filters=filters, rows=rows,
                           total=channel_report.total(rows), **_choices(session, merchant))


@blueprint.route("/reports/channels/export.<any(csv, xlsx):fmt>")
@requires("reports.view")
def channel_report_download(fmt):
    session, merchant = reading.session(), current_user.merchant
    filters = Filters(session, merchant, request.args)
    per_staff = request.args.get("view") == "staff"
    if per_staff:
        rows = channel_report.by_staff(session, filters.scope)
    else:
        rows = [row for row in channel_report.by_source(session, filters.scope)
                if not filters.kind or row.kind == filters.kind]
    rows = channel_report.ordered(rows, filters.sort, filters.direction)
    name = f"{'staff' if per_staff else 'channels'}-{filters.period.first.isoformat()}-{filters.period.last.isoformat()}"
    if fmt == "csv":
        body = spreadsheets.csv_bytes(channel_report.table(rows, per_staff=per_staff))
    else:
        title = f"{'店员' if per_staff else '渠道'} {filters.period.first.isoformat()}~{filters.period.last.isoformat()}"
        body = spreadsheets.xlsx_bytes(title, channel_report.table(rows, per_staff=per_staff,
                                                                   money=spreadsheets.yuan_number))
    return Response(body, mimetype=DOWNLOADS[fmt],
                    headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})


@blueprint.route("/reports/channels/source/<int:source_id>")
@requires("reports.view")
def channel_source_members(source_id):
    session = reading.session()
    source = _owned(session, RecruitSource, source_id)
    facts = [(_("类型"), rules.ROW_KIND_LABELS[source.kind]), (_("门店"), source.store.name if source.store else ""),
             (_("店员"), source.staff.name if source.staff else ""),
             (_("分享方式"), SHARE_CHANNEL_LABELS.get(source.share_channel, ""))]
    return _members_page(session, ("source", source.id), source.name, facts,
                         "backoffice.channel_source_members", {"source_id": source.id})


@blueprint.route("/reports/channels/staff/<int:staff_id>")
@requires("reports.view")
def channel_staff_members(staff_id):
    session = reading.session()
    person = _owned(session, Staff, staff_id)
    return _members_page(session, ("staff", person.id), person.name,
                         [(_("统计范围"), _("本人的二维码和推广链接带来的会员，以及本人帮办的会员"))],
                         "backoffice.channel_staff_members", {"staff_id": person.id})


@blueprint.route("/reports/channels/assisted/<int:staff_id>")
@requires("reports.view")
def channel_assisted_members(staff_id):
    session = reading.session()
    person = _owned(session, Staff, staff_id)
    return _members_page(session, ("assisted", person.id), person.name,
                         [(_("类型"), rules.ROW_KIND_LABELS[rules.ASSISTED])],
                         "backoffice.channel_assisted_members", {"staff_id": person.id})


@blueprint.route("/reports/channels/natural")
@requires("reports.view")
def channel_natural_members():
    return _members_page(reading.session(), ("natural",), _("自然流量"),
                         [(_("说明"), _("没有经过任何二维码、推广链接或店员帮办的新会员"))],
                         "backoffice.channel_natural_members", {})


def _members_page(session, only, title, facts, endpoint, endpoint_args):
    merchant = current_user.merchant
    filters = Filters(session, merchant, request.args)
    if only[0] == "natural" and filters.store is not None:
        # nobody's joins belong to no store: the list would always be empty
        filters.store, filters.scope = None, channel_report.scope_of(merchant, filters.period)
    page = channel_members.brought(session, filters.scope, only, page=filters.page)
    joins, first_payments, money = channel_members.summary(session, filters.scope, only)
    return render_template("backoffice/channels/members.html", title=title, facts=facts, filters=filters,
                           page=page, joins=joins, first_payments=first_payments, money=money, endpoint=endpoint,
                           endpoint_args=endpoint_args, pager_args={**endpoint_args, **filters.period_args()},
                           stores=None if only[0] == "natural" else _stores(session, merchant))


def _choices(session, merchant):
    return {"stores": _stores(session, merchant), "row_kinds": [(k, rules.ROW_KIND_LABELS[k]) for k in rules.ROW_KINDS],
            "sort_labels": SORT_LABELS, "money_keys": rules.MONEY_KEYS, "format_yuan": format_yuan}


def _stores(session, merchant):
    return list(session.scalars(scoped(Store, merchant.id).order_by(Store.id)))


def _owned(session, model, object_id):
    """One of the merchant's rows by the id in the address; another merchant's (or none) is a 404."""
    return get_owned(session, model, current_user.merchant_id, object_id)


def _owned_or_none(session, model, merchant_id, value):
    """A filter's row: blank or unreadable is none chosen; a readable id that is not the merchant's is a 404."""
    value = (value or "").strip()
    if not value.isdigit():
        return None
    try:
        return get_owned(session, model, merchant_id, value)
    except NotFound:
        abort(404)


def _date(value):
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None
