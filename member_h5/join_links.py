"""Tracked ways in (/h5/<slug>/j/<token>): a join code, a share link or a member's invite link is remembered in the
visitor's session, so the claim (or purchase) that follows is credited to it (services/recruitment)."""
from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _

from domain.clock import now_utc
from extensions import db
from member_h5 import blueprint
from member_h5.common import current_login, message_page
from services.members import join as member_join
from services.recruitment import attribution, guides, sources, tracked_links

SOURCE_KEY = "recruit_source"


@blueprint.route("/j/<token>")
def join_link(token):
    try:
        source = sources.usable(db.session, g.merchant.id, token)
    except sources.SourceRefused as exc:
        return message_page(_("链接无效"), exc.message, 404, icon="warn",
                            link=url_for("member_h5.index"), link_text=_("查看会员卡"))
    remember(source)
    return _reach_guide(source, token) or redirect(landing_of(source))


def _reach_guide(source, token):
    """A guide's code opened by an existing member binds them to the guide (services/recruitment/guides.py: first
    touch, or this scan when the merchant rebinds). Whoever is not signed in signs in first and comes back here,
    so the scan is not lost; None when there is nothing more to do than land."""
    if guides.guide_of_touch(db.session, g.merchant.id, attribution.Touch.of(source)) is None:
        return None
    login = current_login()
    if login is None:
        if source.target != "join":
            return None
        return redirect(url_for("member_h5.index", next=url_for("member_h5.join_link", token=token)))
    member = member_join.member_for(db.session, login)
    if member is not None:
        guides.bind_on_scan(db.session, g.merchant, member, source)
    return None


@blueprint.before_request
def remember_link_source():
    """A member page opened from a tracked link (a mass message's, a campaign notice's: `?src=<token>`) remembers
    its source like a join code. A token that is not a usable one of this merchant is ignored: the page opens as
    if the link carried nothing."""
    token = request.args.get(tracked_links.PARAM)
    if not token:
        return
    try:
        remember(sources.usable(db.session, g.merchant.id, token))
    except sources.SourceRefused:
        pass


def remember(source):
    """Last touch wins within the visit: a second code scanned before joining replaces the first."""
    session[SOURCE_KEY] = {"m": g.merchant.id, "id": source.id, "at": int(now_utc().timestamp())}


def landing_of(source):
    """Where a source leads: the card claim (through the app's login), or the paid membership page."""
    if source.target == "paid_membership" and "member_h5.membership" in current_app.view_functions:
        return url_for("member_h5.membership", template_id=source.card_template_id)
    return url_for("member_h5.index", next=url_for("member_h5.claim"))


def remembered_source():
    """The source this visitor came through for this merchant, still usable, or None."""
    data = session.get(SOURCE_KEY)
    if not isinstance(data, dict) or data.get("m") != g.merchant.id or not isinstance(data.get("id"), int):
        return None
    source = sources.get(db.session, g.merchant.id, data["id"])
    if source is None or not source.active or (source.expires_at is not None and source.expires_at <= now_utc()):
        return None
    return source


def remembered_touch():
    return attribution.Touch.of(remembered_source())



def stamp_order(order):
    """Credit an order the visitor is about to pay to the source they came through (attribution and commission
    read it when the order is paid). Call right after creating the order, in the same request."""
    source = remembered_source()
    if source is not None and order.source_id is None and order.paid_at is None:  # a paid one was credited already
        order.source_id = source.id
        if order.staff_id is None:
            order.staff_id = source.staff_id
        db.session.flush()
    return order
