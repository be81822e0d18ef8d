"""积分查询 (seed 004 3.7; reports.view): every points change of the merchant in a date range of its timezone, by
physical card number, member name or phone, kind and store, newest first, fifty a page (下一页 carries where the
last row was: keyset pages, services/points/lookup.py), and the same list as a streamed CSV or XLSX.

The period and store come from the query string as on the report pages (backoffice/report_pages.py: the last 30 days
unless asked, at most 366; another merchant's store is a 404). Input that cannot be read shows the page again with
the message (400), the filters as typed."""
from flask import render_template, request
from flask_login import current_user

from backoffice import blueprint, report_pages
from backoffice.common import requires
from domain.errors import DomainError, NotFound
from services.points import lookup
from services.shared import reading

TEMPLATE = "backoffice/points/records.html"
TYPED = ("start", "end", "store", "card_no", "member", "kind")
TEXT_COLUMNS = (2, 3)  # phone and card number stay text in Excel: leading zeros kept, never 1.38E+10


@blueprint.route("/points/records")
@requires("reports.view")
def points_records():
    fmt = report_pages.export_format()
    merchant = current_user.merchant
    session = reading.session()  # only reads: the replica when one is configured
    stores = report_pages.store_names()
    try:
        period = report_pages.period_from_request()
        wanted = lookup.filters(period.first, period.last, card_no=request.args.get("card_no"),
                                member=request.args.get("member"), kind=request.args.get("kind"),
                                store_id=period.store_id)
        if fmt:
            name = report_pages.file_name("points", period)
            return report_pages.download(fmt, "积分查询", name, lookup.export_rows(session, merchant, wanted),
                                         TEXT_COLUMNS)
        found = lookup.page(session, merchant, wanted, cursor=request.args.get("before"))
    except NotFound:
        raise
    except DomainError as exc:
        return _render(stores, typed=_typed(), error=exc.message), 400
    return _render(stores, typed=_typed(wanted), found=found, args=wanted.query_args(),
                   paged=bool(request.args.get("before")))


def _typed(wanted=None):
    """The filter form's values: what the filter read, else what was typed (cut short: it is only shown again)."""
    if wanted is not None:
        return {key: str(value) for key, value in wanted.query_args().items()}
    return {key: (request.args.get(key) or "")[:64] for key in TYPED}


def _render(stores, typed, found=None, args=None, paged=False, error=None):
    return render_template(TEMPLATE, stores=stores, typed=typed, found=found, args=args or {}, paged=paged,
                           error=error, kinds=lookup.KIND_LABELS)
