"""The member centre: card with level and refreshing QR code, points, balance, the icon grid of what the member
holds; 我的 (the list of the member's records); points, balance, level benefits, profile."""
from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from domain import levels as level_rules
from domain.clock import now_utc
from domain.errors import DomainError
from extensions import db
from member_h5 import blueprint
from member_h5.centre_tiles import grid_tiles
from member_h5.common import member_required
from member_h5.views_alipay_card import alipay_card_button
from member_h5.views_wechat_card import add_card_button
from member_h5.forms import ProfileForm, attach_errors, fill_industry, industry_values, with_industry_fields
from services.members import (levels, fields as member_fields, holdings as member_holdings, join as member_join,
                              qr as member_qr)
from services.outreach import inbound as outreach_inbound
from services.points import ledger as points
from services.wallet import journal as wallet

EXPIRING_LOTS_SHOWN = 5


@blueprint.route("/member")
@member_required
def centre():
    member = g.member
    purse = wallet.member_wallet(db.session, g.merchant.id, member.id)
    token = member_qr.issue(member)
    held = member_holdings.counted(db.session, g.merchant.id, member.id, now_utc())
    return render_template("member_h5/centre.html", member=member, purse=purse, qr_svg=member_qr.svg(token),
                           qr_seconds=member_qr.VALID_SECONDS, tiles=grid_tiles(held),
                           wechat_card=add_card_button(g.login), alipay_card=alipay_card_button(g.login, member))


@blueprint.route("/member/me")
@member_required
def me():
    purse = wallet.member_wallet(db.session, g.merchant.id, g.member.id)
    return render_template("member_h5/me.html", member=g.member, purse=purse)


@blueprint.route("/member/qr.json")
@member_required
def qr_refresh():
    token = member_qr.issue(g.member)
    return jsonify(svg=member_qr.svg(token), expires_in=member_qr.VALID_SECONDS)


@blueprint.route("/member/points", endpoint="points")
@member_required
def points_page():
    member, now = g.member, now_utc()
    expiring = [lot for lot in points.lots_of(db.session, g.merchant.id, member.id)
                if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at > now][:EXPIRING_LOTS_SHOWN]
    history = points.history_of(db.session, g.merchant.id, member.id, limit=50)
    return render_template("member_h5/points.html", member=member, expiring=expiring, history=history)



@blueprint.route("/member/balance")
@member_required
def balance():
    purse = wallet.member_wallet(db.session, g.merchant.id, g.member.id)
    journal = wallet.journal_of(db.session, g.merchant.id, purse.id, limit=50)
    return render_template("member_h5/balance.html", member=g.member, purse=purse, journal=journal)


@blueprint.route("/member/level")
@member_required
def level():
    member = g.member
    ladder = levels.list_levels(db.session, g.merchant.id)
    progress = level_rules.MemberProgress.of(member)
    current_rank = member.level.rank if member.level is not None else None
    target, gaps = level_rules.next_level_gaps(current_rank, [lv.to_rule() for lv in ladder], progress)
    next_level = next((lv for lv in ladder if target is not None and lv.id == target.id), None)
    bars = []
    if next_level is not None:
        for name, need in target.thresholds().items():
            if need:
                have = progress.figure(name)
                bars.append({"name": name, "have": have, "need": need, "gap": gaps.get(name, 0),
                             "percent": min(100, have * 100 // need)})
    return render_template("member_h5/level.html", member=member, ladder=ladder, next_level=next_level, bars=bars)


@blueprint.route("/member/profile", methods=["GET", "POST"])
@member_required
def profile():
    member = g.member
    field_defs = member_fields.active_fields(db.session, g.merchant.id)
    form = with_industry_fields(ProfileForm, field_defs, obj=None if request.method == "POST" else member)
    if not form.is_submitted():
        form.gender.data = member.gender
        form.marketing_sms.data = member.sms_opt_out_at is None
        fill_industry(form, field_defs, member.custom_fields)
        return render_template("member_h5/profile.html", form=form, member=member)
    if not form.validate():
        return render_template("member_h5/profile.html", form=form, member=member), 400
    try:
        member_join.update_profile(db.session, member, member_join.Profile(
            name=form.name.data, gender=form.gender.data or "unknown", birthday=form.birthday.data,
            custom_fields=industry_values(form, field_defs)))
        outreach_inbound.set_member_choice(db.session, member, form.marketing_sms.data)
    except DomainError as exc:
        db.session.rollback()
        if not attach_errors(form, exc):
            form.name.errors = [exc.message]
        return render_template("member_h5/profile.html", form=form, member=member), 400
    flash(_("资料已保存"), "success")
    return redirect(url_for("member_h5.centre"))
