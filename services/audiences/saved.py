"""Named audiences a merchant saves and reuses: the filters, never a frozen list of members."""
from domain.clock import now_utc
from domain.errors import Conflict
from models import Audience
from services.audiences import filters as audience_filters
from services.merchant import audit
from services.shared.tenancy import get_owned, scoped
from services.shared.text import required_text

MAX_AUDIENCES = 200


def list_audiences(session, merchant_id):
    return session.scalars(scoped(Audience, merchant_id).order_by(Audience.name)).all()


def get(session, merchant_id, audience_id):
    return get_owned(session, Audience, merchant_id, audience_id)


def filters_of(audience):
    return audience_filters.Filters.from_json(audience.filters)


def save(session, actor, audience_id, *, name, filters):
    """Create (audience_id None) or rename/refilter a saved audience; names are unique per merchant."""
    name = required_text(name, "人群名称", 40)
    clash = scoped(Audience, actor.merchant_id).where(Audience.name == name)
    row = None if audience_id is None else get(session, actor.merchant_id, audience_id)
    if row is not None:
        clash = clash.where(Audience.id != row.id)
    if session.scalars(clash).first():
        raise Conflict("已有同名人群")
    if row is None:
        if len(list_audiences(session, actor.merchant_id)) >= MAX_AUDIENCES:
            raise Conflict(f"最多保存 {MAX_AUDIENCES} 个人群")
        row = Audience(merchant_id=actor.merchant_id, created_by_id=actor.id)
        session.add(row)
    row.name, row.filters, row.updated_at = name, filters.to_json(), now_utc()
    session.flush()
    audit.record(session, actor, "audience.save", "audience", row.id, after={"name": name, "filters": row.filters})
    return row


def delete(session, actor, audience_id):
    row = get(session, actor.merchant_id, audience_id)
    audit.record(session, actor, "audience.delete", "audience", row.id, before={"name": row.name})
    session.delete(row)
    session.flush()
