"""微信粉丝 in the back office (members.view): the official account's followers with follow and unfollow dates and
their source, filtered by status, membership and follow date, paged, with the figures on top (fans, following now,
became members and the conversion) and a streamed CSV export of the same filter (services/wechat/fan_list.py)."""
from datetime import date

from flask import Response, render_template, request, stream_with_context
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination

from backoffice import blueprint
from backoffice.common import merchant_id, parse_int, requires
from services.shared import reading
from services.wechat import fan_list

TEMPLATE = "backoffice/fans/list.html"
PER_PAGE = 50
FILTER_KEYS = ("status", "became", "date_from", "date_to")


def _date(value):
    try:
        return date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


def _filters(args):
    status, became = args.get("status", "all"), args.get("became", "all")
    return fan_list.Filters(status=status if status in fan_list.STATUSES else "all",
                            became=became if became in fan_list.BECAME else "all",
                            date_from=_date(args.get("date_from")), date_to=_date(args.get("date_to")))


def _kept(filters):
    """The filter as query arguments for the pager and the export (only what is set, never the raw input)."""
    kept = {"status": filters.status, "became": filters.became,
            "date_from": filters.date_from.isoformat() if filters.date_from else "",
            "date_to": filters.date_to.isoformat() if filters.date_to else ""}
    return {k: v for k, v in kept.items() if v and v != "all"}


@blueprint.route("/fans")
@requires("members.view")
def fans():
    tz_name = current_user.merchant.timezone
    filters = _filters(request.args)
    page = max(parse_int(request.args.get("page"), 1) or 1, 1)
    session = reading.session()  # only reads: the replica when one is configured
    pagination = SelectPagination(select=fan_list.fans(merchant_id(), filters, tz_name), session=session,
                                  page=min(page, 100000), per_page=PER_PAGE, max_per_page=None, error_out=False)
    return render_template(TEMPLATE, pagination=pagination, filters=filters, kept_args=_kept(filters),
                           figures=fan_list.figures(session, merchant_id()), statuses=fan_list.STATUS_LABELS,
                           became=fan_list.BECAME_LABELS, source_label=fan_list.source_label)


@blueprint.route("/fans.csv")
@requires("members.view")
def fans_csv():
    chunks = fan_list.export_csv_chunks(reading.session(), merchant_id(), _filters(request.args),
                                        current_user.merchant.timezone)
    return Response(stream_with_context(chunks), mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": "attachment; filename=fans.csv"})
