"""Member levels: the ladder, thresholds, discount and points multiplier."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms import LevelForm
from backoffice.ui import form_page
from extensions import db
from jobs.base import enqueue
from jobs.levels import reevaluate_levels
from models import Level
from services.members import levels as level_service
from services.shared.tenancy import get_owned

TEMPLATE = "backoffice/members/level_form.html"


@blueprint.route("/levels")
@requires("levels.manage")
def levels():
    return render_template("backoffice/members/levels.html", levels=level_service.list_levels(db.session, merchant_id()))


@blueprint.route("/levels/new", methods=["GET", "POST"])
@requires("levels.manage")
def level_new():
    return _save(None)


@blueprint.route("/levels/<int:level_id>/edit", methods=["GET", "POST"])
@requires("levels.manage")
def level_edit(level_id):
    return _save(get_owned(db.session, Level, merchant_id(), level_id))


def _save(level):
    form = LevelForm()
    if not form.is_submitted() and level is not None:
        form.fill_from(level)

    def save():
        level_service.save_level(
            db.session, current_user, level, rank=form.rank.data, name=form.name.data,
            min_spend=form.min_spend.fen, min_visits=form.min_visits.data, min_topup=form.min_topup.fen,
            min_growth=form.min_growth.data,
            discount_percent=form.discount_percent, points_multiplier_tenths=form.multiplier_tenths,
            benefits_note=form.benefits_note.data)
        # Sent once form_page commits, so the job sees the new thresholds.
        enqueue(reevaluate_levels, current_user.merchant_id)

    return form_page(TEMPLATE, {"form": form, "level": level}, save,
                     done=_("等级已保存，达到新门槛的会员正在自动升级"), back=url_for("backoffice.levels"))
