"""The member page's timeline block (会员360): reads the kind, date and page filters from the query string (a bad
value is dropped and named, never an error) and turns each row's record into a link the viewer may open."""
from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice.common import parse_int
from extensions import db
from services.members import timeline

# What a row links to -> (endpoint, its id argument, the permission that opens it).
LINKS = {"checkout": ("backoffice.checkout_detail", "checkout_id", "members.view"),
         "order": ("backoffice.order_detail", "order_id", "members.view"),
         "send": ("backoffice.send_show", "send_id", "sends.manage")}
MAX_DATE_LENGTH = 10
KIND_LABELS = timeline.KIND_LABELS  # Chinese; the template passes each through _()


def read(args, merchant_id, member_id):
    """(page of rows, chosen filters for the form, labels of ignored filters)."""
    ignored = []
    kinds = tuple(k for k in args.getlist("kind") if k in timeline.KIND_LABELS)
    if len(kinds) != len([k for k in args.getlist("kind") if k]):
        ignored.append(_l("记录类型"))
    day_from, day_to = _day(args.get("from"), ignored, _l("开始日期")), _day(args.get("to"), ignored, _l("结束日期"))
    if day_from and day_to and day_from > day_to:
        ignored.append(_l("日期范围"))
        day_from = day_to = None
    page = parse_int(args.get("page"), 1)
    if page is None or not 1 <= page <= timeline.MAX_PAGE:
        page = 1
    filters = timeline.Filters(kinds=kinds or timeline.KINDS, day_from=day_from, day_to=day_to)
    found = timeline.page_of(db.session, merchant_id, member_id, filters, page=page)
    chosen = {"kind": list(kinds), "from": day_from.isoformat() if day_from else "",
              "to": day_to.isoformat() if day_to else ""}
    return found, chosen, ignored


def _day(raw, ignored, label):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        if len(raw) > MAX_DATE_LENGTH:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        ignored.append(label)
        return None


def link_of(row):
    """The URL of the row's record, when there is one and the viewer may open it."""
    if row.link is None or row.link[0] not in LINKS:
        return None
    endpoint, argument, permission = LINKS[row.link[0]]
    return url_for(endpoint, **{argument: row.link[1]}) if current_user.can(permission) else None
