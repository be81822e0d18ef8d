"""业务员提成 in the back office (owner/admin: commission.manage): the rule (提成规则) and the monthly statement
(提成明细), every staff member's month at a glance or one staff member's entries, exported as CSV or XLSX."""
from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination

from backoffice import blueprint
from backoffice.common import merchant_id, parse_int, requires
from backoffice.forms_commission import CommissionRuleForm, rule_data
from backoffice.ui import form_page
from domain import commission as rules
from domain.money import format_yuan
from extensions import db
from models import Staff
from services.recruitment import commission_rules, commission_statement as statement
from services.shared import reading, spreadsheets
from services.shared.tenancy import scoped
from web.requests import client_ip

RULE_PAGE = "backoffice/commission/rules.html"
PER_PAGE = 50
CSV, XLSX = "text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blueprint.route("/commission/rules", methods=["GET", "POST"])
@requires("commission.manage")
def commission_rules_page():
    row = commission_rules.rule_row(db.session, merchant_id())
    form = CommissionRuleForm(data=rule_data(row))

    def save():
        commission_rules.save(db.session, current_user, ip=client_ip(), **form.values())

    context = {"form": form, "preview": commission_rules.describe(row), "saved": row}
    return form_page(RULE_PAGE, context, save, done=_("提成规则已保存"),
                     back=url_for("backoffice.commission_rules_page"))


def _choice():
    """(month, staff or None) from the query string; another merchant's staff id answers 404."""
    tz_name = current_user.merchant.timezone
    month = statement.parse_month(request.args.get("month"), tz_name)
    staff_id = parse_int(request.args.get("staff_id"))
    staff = statement.staff_of(reading.session(), merchant_id(), staff_id) if staff_id else None
    return tz_name, month, staff


@blueprint.route("/commission")
@requires("commission.manage")
def commission_statement():
    tz_name, month, staff = _choice()
    session = reading.session()  # the statement only reads: the replica when one is configured
    people = session.scalars(scoped(Staff, merchant_id()).order_by(Staff.id)).all()
    kept = {"month": f"{month:%Y-%m}", **({"staff_id": staff.id} if staff else {})}
    context = {"month": month, "staff": staff, "people": people, "months": statement.recent_months(tz_name),
               "kept_args": kept, "labels": rules.ENTRY_KIND_LABELS, "kinds": rules.ENTRY_KINDS,
               "kind_headers": [(rules.ENTRY_KIND_LABELS[k], "bo-num") for k in rules.ENTRY_KINDS],
               "rule": commission_rules.rule_row(session, merchant_id())}
    if staff is None:
        summary = statement.month_summary(session, merchant_id(), month, tz_name)
        context.update(summary=summary, total=statement.summary_total(summary))
    else:
        page = max(parse_int(request.args.get("page"), 1) or 1, 1)
        context.update(pagination=SelectPagination(
            select=statement.entries(merchant_id(), staff.id, month, tz_name), session=session, page=page,
            per_page=PER_PAGE, max_per_page=None, error_out=False),
            totals=statement.staff_totals(session, merchant_id(), staff.id, month, tz_name),
            member_text=statement.member_text, rate_text=statement.rate_text, kind_label=statement.kind_label)
    return render_template("backoffice/commission/statement.html", **context)


@blueprint.route("/commission.csv")
@requires("commission.manage")
def commission_statement_csv():
    return _export("csv")


@blueprint.route("/commission.xlsx")
@requires("commission.manage")
def commission_statement_xlsx():
    return _export("xlsx")


def _export(fmt):
    tz_name, month, staff = _choice()
    session = reading.session()
    money = spreadsheets.yuan_number if fmt == "xlsx" else format_yuan
    if staff is None:
        lines = statement.summary_table(statement.month_summary(session, merchant_id(), month, tz_name), money)
        name, title = f"commission-{month:%Y-%m}", f"提成汇总 {month:%Y-%m}"
    else:
        lines = statement.statement_table(session, merchant_id(), staff, month, tz_name, money)
        name, title = f"commission-{month:%Y-%m}-staff-{staff.id}", f"提成明细 {month:%Y-%m}"
    if fmt == "csv":
        body, mimetype = spreadsheets.csv_bytes(lines), CSV
    else:
        body, mimetype = spreadsheets.xlsx_bytes(title, lines), XLSX
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})
