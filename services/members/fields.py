"""The merchant's own member fields (industry attributes)."""
from domain import fields as rules
from domain.errors import Conflict, DomainError
from models import MemberFieldDef
from services.merchant import audit
from services.shared.tenancy import scoped
from services.shared.text import required_text
from models.member import FIELD_TYPES

MAX_OPTIONS = 30


def active_fields(session, merchant_id):
    return session.scalars(
        scoped(MemberFieldDef, merchant_id).where(MemberFieldDef.active.is_(True))
        .order_by(MemberFieldDef.position, MemberFieldDef.id)
    ).all()


def all_fields(session, merchant_id):
    return session.scalars(scoped(MemberFieldDef, merchant_id).order_by(MemberFieldDef.position, MemberFieldDef.id)).all()


def specs(session, merchant_id):
    return [rules.FieldSpec(f.key, f.label, f.field_type, tuple(f.options or ()), f.required)
            for f in active_fields(session, merchant_id)]


def save_field(session, actor, field, *, key, label, field_type, options_text="", required=False, position=0,
               active=True):
    if field_type not in FIELD_TYPES:
        raise DomainError("未知的字段类型")
    options = [o.strip() for o in (options_text or "").replace("，", ",").split(",") if o.strip()]
    if field_type == "select" and not options:
        raise DomainError("单选字段须填写选项，用逗号分隔")
    if len(options) > MAX_OPTIONS or any(len(o) > 40 for o in options):
        raise DomainError(f"最多 {MAX_OPTIONS} 个选项，每个不超过 40 个字符")
    creating = field is None
    if creating:
        key = rules.check_key((key or "").strip())
        if session.scalars(scoped(MemberFieldDef, actor.merchant_id).where(MemberFieldDef.key == key)).first():
            raise Conflict("字段标识已存在")
        field = MemberFieldDef(merchant_id=actor.merchant_id, key=key)
        session.add(field)
    before = {} if creating else audit.snapshot(field, ("label", "field_type", "options", "required", "position", "active"))
    field.label = required_text(label, "字段名称", 40)
    field.field_type = field_type
    field.options = options if field_type == "select" else []
    position = int(position or 0)
    if not 0 <= position <= 9999:
        raise DomainError("排序须在 0 到 9999 之间")
    field.required, field.position, field.active = bool(required), position, bool(active)
    session.flush()
    after = audit.snapshot(field, ("label", "field_type", "options", "required", "position", "active"))
    audit.record(session, actor, "member_field.save", "member_field", field.id, before or None, after)
    return field
