"""Per-member allowances counted in a period (WeChat's 4 mass messages a month, a merchant's campaign messages a
week): a slot for each member of a set is taken by one conditional upsert. The row is locked by the upsert and
`used < cap` is evaluated on its latest version, so two senders racing for a member at the cap never pass it."""
from services.shared.insert_once import dialect_insert


def take(session, model, rows, cap):
    """Take one slot for each (merchant_id, member_id, period, 1) row of the select `rows` into `model` (whose
    primary key is merchant, member and period, and whose count is `used`); the member ids that got one."""
    insert = dialect_insert(session)
    key = [column.name for column in model.__table__.primary_key.columns]
    statement = insert(model).from_select(key + ["used"], rows).on_conflict_do_update(
        index_elements=key, set_={"used": model.used + 1}, where=model.used < cap,
    ).returning(model.member_id)
    return set(session.scalars(statement))
