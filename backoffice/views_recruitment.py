"""招募推广 in the back office: the join codes (面对面扫码) of every store and staff member as PNG, SVG and a printable
poster, and the tracked links of the nine share channels for the merchant, a store or a staff member, opening the
free member card or a paid membership, with the share poster (分享海报) as an image (services/recruitment)."""
from io import BytesIO
from urllib.parse import urlencode

from flask import abort, current_app, flash, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from domain.errors import DomainError
from extensions import db
from services.members import qr as member_qr
from services.recruitment import posters, promotion

FILES = {"png": "image/png", "svg": "image/svg+xml"}
SIZES = ("a4", "a5")
# Channels whose people share from their phone: the page offers the link as a QR to scan with WeChat.
SCAN_TO_SHARE = ("wechat", "moments")


def link_of(source):
    """The absolute join link of a source (/h5/<slug>/j/<token>): what its QR holds and what is shared."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + url_for("member_h5.join_link", merchant_slug=current_user.merchant.slug,
                                      token=source.token)


def short_link_of(source):
    """The short form of a source's link (/j/<token>): what an SMS has room for."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + url_for("member_short.join", token=source.token)


def picked():
    """The owner and target the query asks for: ?owner=merchant | store:<id> | staff:<id>[:<store id>] and
    ?target=join | paid:<template id>. Another merchant's (or an unknown) id is a 404."""
    kind, _sep, rest = (request.args.get("owner") or "merchant").partition(":")
    store_id = staff_id = None
    if kind == "store":
        store_id = rest
    elif kind == "staff":
        staff_id, _sep, store_id = rest.partition(":")
    aim, _sep, template_id = (request.args.get("target") or "join").partition(":")
    try:
        owner = promotion.owner_of(db.session, merchant_id(), kind, store_id=store_id or None,
                                   staff_id=staff_id or None)
        target = promotion.target_of(db.session, merchant_id(), "paid_membership" if aim == "paid" else aim,
                                     template_id or None)
    except DomainError:  # an unknown kind, a stopped staff member or paid membership: nothing to promote there
        abort(404)
    return owner, target


def owner_value(owner):
    if owner.kind == "store":
        return f"store:{owner.store.id}"
    if owner.kind == "staff":
        return f"staff:{owner.staff.id}" + (f":{owner.store.id}" if owner.store else "")
    return "merchant"


def target_value(target):
    return f"paid:{target.template.id}" if target.template is not None else "join"


def chosen_args(owner, target):
    """The query that names this owner and target again, for the page's links."""
    values = {"owner": owner_value(owner)}
    if target.kind != "join":
        values["target"] = target_value(target)
    return values


@blueprint.route("/recruitment")
@requires("recruitment.manage")
def recruitment():
    """面对面扫码: every open store's and every active staff member's join code, for the target chosen."""
    target = picked()[1]
    session, mid = db.session, merchant_id()
    stores = promotion.active_stores(session, mid)
    staff_rows = [(person, store, f"staff:{person.id}" + (f":{store.id}" if store else ""))
                  for person in promotion.recruiting_staff(session, mid)
                  for store in (promotion.staff_stores_of(session, person) if person.is_store_bound else [None])]
    return render_template("backoffice/recruitment/codes.html", stores=stores, staff_rows=staff_rows,
                           target=target, target_args={"target": target_value(target)} if target.template else {},
                           templates=promotion.membership_templates(session, mid), target_value=target_value(target))


@blueprint.route("/recruitment/code.<any(png, svg):fmt>")
@requires("recruitment.manage")
def recruitment_code_file(fmt):
    """A store's or a staff member's join code to download (?owner=store:<id> or staff:<id>[:<store id>])."""
    owner, target = picked()
    try:
        source = promotion.join_code(db.session, owner, target)
    except DomainError:
        abort(404)  # the merchant itself has links, not a code
    url = link_of(source)
    data = posters.qr_png(url) if fmt == "png" else posters.qr_svg(url)
    name = f"join-{owner_value(owner).replace(':', '-')}-{target_value(target).replace(':', '-')}.{fmt}"
    return _file(data, FILES[fmt], name, attachment=True)


@blueprint.route("/recruitment/poster")
@requires("recruitment.manage")
def recruitment_poster():
    """The printable poster of a join code (A4 or A5): the merchant, the store or staff member, the card face, the
    QR and 扫码领取会员卡."""
    owner, target = picked()
    try:
        source = promotion.join_code(db.session, owner, target)
    except DomainError:
        abort(404)
    size = request.args.get("size") if request.args.get("size") in SIZES else "a4"
    face = posters.face_of(db.session, current_user.merchant, target)
    url = link_of(source)
    return render_template("backoffice/recruitment/poster.html", owner=owner, target=target, face=face, size=size,
                           qr=Markup(member_qr.svg(url, border=1, label=_("入会二维码"))), url=url,
                           args=chosen_args(owner, target))


@blueprint.route("/recruitment/channels")
@requires("recruitment.manage")
def recruitment_channels():
    """招募推广: the nine channels' tracked links for the owner and target chosen."""
    owner, target = picked()
    session, mid = db.session, merchant_id()
    links = promotion.channel_links(session, owner, target, link_of)
    qrs = {link.channel: Markup(member_qr.svg(link.url, label=link.label)) for link in links
           if link.channel in SCAN_TO_SHARE}
    headline = promotion.headline_of(owner, target, current_user.merchant.name)
    shares = {link.channel: _share_intent(link.channel, link.url, headline) for link in links}
    return render_template("backoffice/recruitment/channels.html", owner=owner, target=target, links=links, qrs=qrs,
                           shares=shares, stores=promotion.active_stores(session, mid),
                           staff=promotion.recruiting_staff(session, mid),
                           templates=promotion.membership_templates(session, mid), owner_value=owner_value(owner),
                           target_value=target_value(target), args=chosen_args(owner, target))


@blueprint.route("/recruitment/channels/poster.png")
@requires("recruitment.manage")
def recruitment_share_poster():
    """分享海报: the poster image of the 'poster' channel's link (?download=1 saves it)."""
    owner, target = picked()
    try:
        data = posters.channel_poster_png(db.session, current_user.merchant, owner, target, link_of)
    except posters.PosterUnavailable as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return render_template("backoffice/recruitment/poster_missing.html", message=exc.message), exc.http_status
    name = f"poster-{owner_value(owner).replace(':', '-')}.png"
    return _file(data, "image/png", name, attachment=request.args.get("download") == "1")


def _share_intent(channel, url, title):
    """The web share page of QQ, QQ空间 and 微博 for a link (the operator signs in there and posts it)."""
    query = urlencode({"url": url, "title": title})
    return {"qq": f"https://connect.qq.com/widget/shareqq/index.html?{query}",
            "qzone": f"https://sns.qzone.qq.com/cgi-bin/qzshare/cgi_qzshare_onekey?{query}",
            "weibo": f"https://service.weibo.com/share/share.php?{query}"}.get(channel)


def _file(data, mimetype, name, attachment):
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=attachment, download_name=name,
                     max_age=0)
