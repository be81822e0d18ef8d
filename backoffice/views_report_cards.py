"""卡券报表 · 卡: count, timed, gift and benefit cards sold, given, used and refunded over a period (from the daily
rollups), and the two holder lists with their streamed exports: members holding a live timed card, and gift cards
bought in the member centre."""
from flask import render_template, request
from flask_login import current_user

from backoffice import blueprint, report_pages
from backoffice.common import requires
from domain.cards import KIND_LABELS
from domain.clock import local_today
from extensions import db
from services.reports import card_holders, cards_report
from services.shared import reading

VIEWS = ("days", "kinds", "templates")
MAX_KEYSET = 10 ** 12  # an `after` beyond any id: the list is simply empty past it


@blueprint.route("/reports/cards")
@requires("reports.view")
def report_cards():
    period = report_pages.period_from_request()
    fmt = report_pages.export_format()
    view = request.args.get("view") if request.args.get("view") in VIEWS else "days"
    stores = report_pages.store_names()
    result = cards_report.report(db.session, current_user.merchant, period)  # days built now commit with the request
    if fmt:
        money = report_pages.money_cells(fmt)
        lines = {"days": result.days, "kinds": result.kinds, "templates": result.templates}[view] + [result.total]
        name = report_pages.file_name(f"cards-{view}", period)
        return report_pages.download(fmt, "卡报表", name, cards_report.table(lines, money))
    return render_template("backoffice/reports/cards.html", period=period, stores=stores, report=result,
                           chart=cards_report.chart(result.days), kind_chart=cards_report.kind_chart(result),
                           kind_labels=KIND_LABELS)


@blueprint.route("/reports/cards/timed-holders")
@requires("reports.view")
def report_timed_holders():
    """Members holding a live timed card now, by the member's store; the dates of the period do not apply."""
    period = report_pages.period_from_request()
    fmt = report_pages.export_format()
    session, merchant = reading.session(), current_user.merchant
    if fmt:
        rows = card_holders.timed_rows(session, merchant, store_id=period.store_id)
        return report_pages.download(fmt, "时长卡持卡会员", f"timed-card-holders-{local_today(merchant.timezone)}",
                                     rows, text_columns=(1,))
    after = _after()
    page = card_holders.timed_page(session, merchant, store_id=period.store_id, after=after)
    count = card_holders.timed_count(session, merchant, store_id=period.store_id)
    return render_template("backoffice/reports/timed_holders.html", period=period,
                           stores=report_pages.store_names(), page=page, count=count, after=after)


@blueprint.route("/reports/cards/gift-buyers")
@requires("reports.view")
def report_gift_buyers():
    """Gift cards members bought in the member centre over the period (online: no store)."""
    period = report_pages.period_from_request()
    fmt = report_pages.export_format()
    session, merchant = reading.session(), current_user.merchant
    if fmt:
        money = report_pages.money_cells(fmt)
        rows = card_holders.gift_rows(session, merchant, period, money)
        name = report_pages.file_name("gift-card-buyers", period)
        return report_pages.download(fmt, "礼品卡购买记录", name, rows, text_columns=(1,))
    after = _after()
    return render_template("backoffice/reports/gift_buyers.html", period=period,
                           page=card_holders.gift_page(session, merchant, period, after=after),
                           count=card_holders.gift_count(session, merchant, period), after=after)


def _after():
    """The keyset of the page asked for (`after`: the last card id of the page before); anything unreadable is
    the first page."""
    text = request.args.get("after", "")
    return min(int(text), MAX_KEYSET) if text.isascii() and text.isdigit() and len(text) <= 13 else 0
