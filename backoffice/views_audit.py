"""The audit trail of staff actions, newest first."""
from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice import blueprint
from backoffice.common import merchant_id, parse_int, requires
from extensions import db
from models import AuditLog

PER_PAGE = 50
ACTION_LABELS = {
    "member.create": _l("新增会员"), "member.update": _l("修改会员资料"), "member.set_level": _l("调整会员等级"),
    "member.bind_identity": _l("绑定身份"), "wallet.freeze": _l("冻结储值"), "wallet.unfreeze": _l("解冻储值"),
    "level.create": _l("新增等级"), "level.update": _l("修改等级"), "store.create": _l("新增门店"),
    "store.update": _l("修改门店"), "staff.create": _l("新增员工"), "staff.update": _l("修改员工"),
    "merchant.settings": _l("修改设置"), "merchant.credentials": _l("修改渠道凭证"),
    "member_field.save": _l("保存会员字段"),
}
TARGET_LABELS = {"member": _l("会员"), "level": _l("等级"), "store": _l("门店"), "staff": _l("员工"),
                 "merchant": _l("商户"), "member_field": _l("会员字段")}


@blueprint.route("/audit")
@requires("audit.view")
def audit_log():
    page = parse_int(request.args.get("page"), 1)
    query = (select(AuditLog).options(selectinload(AuditLog.staff))
             .where(AuditLog.merchant_id == merchant_id()).order_by(AuditLog.id.desc()))
    pagination = db.paginate(query, page=page if page and page > 0 else 1, per_page=PER_PAGE, error_out=False)
    return render_template("backoffice/merchant/audit_log.html", pagination=pagination, action_labels=ACTION_LABELS,
                           target_labels=TARGET_LABELS)
