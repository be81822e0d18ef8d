"""A campaign's page: its settings, the dry run (试运行: who it would give to now), the buttons that switch it, and
its report (效果: what it gave, what followed, the uplift over the holdout, its runs and a daily chart); and the
report as CSV or XLSX. The list and the form are in views_campaigns.py."""
from flask import Response, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms_campaigns import CHANNELS
from backoffice.views_campaigns import LIVE, labels, owned
from domain import campaigns as rules
from domain.clock import now_utc
from domain.coupons import STATE_LABELS as CODE_STATE_LABELS
from extensions import db
from services.campaigns import dry_run, report as campaign_report, setup
from services.outreach.plan import CHANNEL_LABELS as SEND_CHANNEL_LABELS
from services.shared import reading, spreadsheets

RUN_STATE_LABELS = {"running": _l("进行中"), "done": _l("已完成"), "paused": _l("已暂停"), "failed": _l("失败")}
MESSAGE_LABELS = {"notice": "模板消息", **SEND_CHANNEL_LABELS}  # translated in the template, as the sends' labels
DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@blueprint.route("/campaigns/<int:campaign_id>")
@requires("reports.view")
def campaign_show(campaign_id):
    campaign = owned(campaign_id)
    merchant = current_user.merchant
    result = campaign_report.of(reading.session(), merchant_id(), campaign.id)  # the replica when configured
    rewards = campaign.rewards or {}
    daily = result.daily
    context = {
        "campaign": campaign, "report": result, "live": campaign.state in LIVE,
        "dry": dry_run.preview(db.session, campaign) if campaign.state != "ended" else None,
        "next_run": rules.next_due(campaign.kind, campaign.schedule, tz_name=merchant.timezone, after=now_utc())
        if campaign.state != "ended" else None,
        "rewards_text": setup.rewards_text(db.session, rewards),
        "second_text": setup.rewards_text(db.session, rewards["second"]) if rewards.get("second") else "",
        "chart": {"days": [d for d, _g, _u in daily], "given": [g for _d, g, _u in daily],
                  "used": [u for _d, _g, u in daily], "names": [str(_l("发券")), str(_l("核销"))]},
        "channel_labels": dict(CHANNELS), "message_labels": MESSAGE_LABELS, "skip_labels": campaign_report.SKIP_LABELS,
        "code_state_labels": CODE_STATE_LABELS, "run_state_labels": RUN_STATE_LABELS,
        "may_manage": current_user.can("campaigns.manage"), **labels(),
    }
    return render_template("backoffice/campaigns/show.html", **context)


@blueprint.route("/campaigns/<int:campaign_id>/report.<any(csv, xlsx):fmt>")
@requires("reports.view")
def campaign_report_download(campaign_id, fmt):
    campaign = owned(campaign_id)
    table = campaign_report.rows(campaign_report.of(reading.session(), merchant_id(), campaign.id))
    if fmt == "csv":
        body = spreadsheets.csv_bytes(table)
    else:
        body = spreadsheets.xlsx_bytes(f"营销活动 {campaign.id}", table)
    return Response(body, mimetype=DOWNLOADS[fmt], headers={
        "Content-Disposition": f"attachment; filename=campaign-{campaign.id}-report.{fmt}"})
