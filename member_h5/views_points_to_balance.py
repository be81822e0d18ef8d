"""积分转储值 for the member: see the rate, turn points into balance (one request key per form)."""
import secrets

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import DataRequired, Length, NumberRange

from extensions import db
from member_h5 import blueprint
from member_h5.common import attempt, committed, expired_back, member_required
from services.wallet import points_to_balance


class ConvertForm(FlaskForm):
    points = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=points_to_balance.MAX_POINTS)])
    key = HiddenField(validators=[DataRequired(), Length(max=100)])


@blueprint.route("/member/points-to-balance", methods=["GET"])
@member_required
def points_to_balance_page():
    form = ConvertForm(formdata=None, key=f"h5-points:{secrets.token_urlsafe(12)}")
    return render_template("member_h5/points_to_balance.html", member=g.member, form=form,
                           rate=points_to_balance.rate_of(db.session, g.merchant.id))


@blueprint.route("/member/points-to-balance", methods=["POST"])
@member_required
def points_to_balance_convert():
    form, back = ConvertForm(), url_for("member_h5.points_to_balance_page")
    if not form.validate():
        if form.key.errors:
            return expired_back(back)
        flash(_("请输入要转换的积分"), "warning")
        return redirect(back)
    spent, credited = attempt(lambda: points_to_balance.convert(db.session, g.merchant, g.member.id,
                                                                form.points.data, key=form.key.data), back)
    return committed(_("已将 %(points)s 积分转为 ¥%(yuan)s 余额", points=-spent.amount,
                       yuan=f"{credited.amount / 100:.2f}"), url_for("member_h5.balance"))
