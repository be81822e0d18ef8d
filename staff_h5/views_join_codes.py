"""The staff member's own join code (面对面扫码) and 招募推广 on the staff page: the code full screen for a customer to
scan, the nine channels' tracked links of their own (in the store they chose), and the share poster. Whoever joins
through them is credited to this staff member and store (services/recruitment). Open to the roles the seed names
(owner, admin, operator, customer service, guide, cashier: members.create); a verifier's 会员 tab shows the store's
code instead."""
from io import BytesIO
from urllib.parse import quote, urlencode

from flask import current_app, g, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from domain.errors import DomainError
from extensions import db
from services.members import qr as member_qr
from services.recruitment import posters, promotion
from staff_h5 import blueprint
from staff_h5.forms import ActionForm
from staff_h5.views import staff_required

RECRUITS = promotion.RECRUITS
# Web share pages of QQ, QQ空间 and 微博: open on the phone, sign in there, post the link.
SHARE_PAGES = {"qq": "https://connect.qq.com/widget/shareqq/index.html",
               "qzone": "https://sns.qzone.qq.com/cgi-bin/qzshare/cgi_qzshare_onekey",
               "weibo": "https://service.weibo.com/share/share.php"}


def link_of(source):
    """The absolute join link of a source, as the QR holds it and a customer opens it."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + url_for("member_h5.join_link", merchant_slug=current_user.merchant.slug,
                                      token=source.token)


def own_owner():
    return promotion.staff_owner(db.session, current_user, g.store.id)


def join_qr_svg():
    """The 会员 tab's invite: the staff member's own code in this store (their recruits are theirs), or, for a
    role that does not recruit, the store's code."""
    if current_user.can(RECRUITS):
        source = promotion.join_code(db.session, own_owner())
    else:
        source = promotion.join_code(db.session, promotion.Owner("store", current_user.merchant_id, store=g.store))
    return Markup(member_qr.svg(link_of(source), label=_("入会二维码")))


def _refused():
    return render_template("staff_h5/message.html", title=_("没有权限"), icon="warn",
                           text=_("您的角色不能招募会员，请联系管理员。"), logout=ActionForm()), 403


def _target():
    """?target=join | paid:<template id>; anything else (another merchant's template) is the free card."""
    aim, _sep, template_id = (request.args.get("target") or "join").partition(":")
    if aim != "paid":
        return promotion.Target()
    try:
        return promotion.target_of(db.session, current_user.merchant_id, "paid_membership", template_id or None)
    except DomainError:
        return promotion.Target()


def _target_value(target):
    return f"paid:{target.template.id}" if target.template is not None else "join"


@blueprint.route("/join-code")
@staff_required
def join_code():
    if not current_user.can(RECRUITS):
        return _refused()
    owner, target = own_owner(), _target()
    source = promotion.join_code(db.session, owner, target)
    link = link_of(source)
    return render_template("staff_h5/recruitment/join_code.html", owner=owner, target=target, link=link,
                           qr=Markup(member_qr.svg(link, border=1, label=_("我的入会码"))),
                           templates=promotion.membership_templates(db.session, current_user.merchant_id),
                           target_value=_target_value(target), logout=ActionForm())


@blueprint.route("/recruitment")
@staff_required
def recruitment():
    """招募推广: the staff member's nine links (their own, in this store)."""
    if not current_user.can(RECRUITS):
        return _refused()
    owner, target = own_owner(), _target()
    merchant = current_user.merchant
    links = promotion.channel_links(db.session, owner, target, link_of)
    headline = promotion.headline_of(owner, target, merchant.name)
    actions = {link.channel: _action(link, headline) for link in links}
    return render_template("staff_h5/recruitment/channels.html", owner=owner, target=target, links=links,
                           actions=actions, templates=promotion.membership_templates(db.session, merchant.id),
                           target_value=_target_value(target),
                           poster_args={"target": _target_value(target)} if target.template else {},
                           logout=ActionForm())


@blueprint.route("/recruitment/poster.png")
@staff_required
def recruitment_poster():
    """分享海报 of the staff member's own 'poster' link (?download=1 saves it)."""
    if not current_user.can(RECRUITS):
        return _refused()
    owner, target = own_owner(), _target()
    try:
        data = posters.channel_poster_png(db.session, current_user.merchant, owner, target, link_of)
    except posters.PosterUnavailable as exc:
        db.session.rollback()
        return render_template("staff_h5/message.html", title=_("暂时无法生成海报"), text=exc.message, icon="warn",
                               logout=ActionForm()), exc.http_status
    return send_file(BytesIO(data), mimetype="image/png", as_attachment=request.args.get("download") == "1",
                     download_name=f"poster-{current_user.id}.png", max_age=0)


def _action(link, headline):
    """What tapping a channel does on a phone beyond copying: the SMS app, a share page, the poster."""
    if link.channel == "sms":
        return {"href": "sms:?&body=" + quote(f"{headline}：{link.url}"), "label": _("打开短信")}
    if link.channel in SHARE_PAGES:
        return {"href": f"{SHARE_PAGES[link.channel]}?{urlencode({'url': link.url, 'title': headline})}",
                "label": _("去%(label)s分享", label=link.label), "external": True}
    return None
