"""Rows kept in the session as the database holds them, without the ORM's unit of work: a row a plain statement
inserted (services/shared/ledger_rows.py) or read (the till's member and wallet), made persistent from its values
without being read again.
"""
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key


def adopt(session, model, new_id, row_values):
    """The row as the database now holds it, persistent in the session without being read: its values go
    straight into the instance's state, as a load puts them (no constructor, no change events to undo); its
    relationships load lazily on use."""
    mapper = model.__mapper__
    row = mapper.class_manager.new_instance()
    state = instance_state(row)
    state.dict.update(row_values, id=new_id)
    # make_transient_to_detached's outcome for a state made here, which has nothing to expire: its identity
    state.key = mapper.identity_key_from_primary_key((new_id,))
    session.add(row)
    return row


def loaded(session, model, values):
    """The row a plain statement read (every column, its id among them), persistent in the session as a query
    leaves it: the instance the session already holds, given these values as a locking read's populate_existing
    would, or a new one."""
    held = session.identity_map.get(identity_key(model, values["id"]))
    if held is None:
        return adopt(session, model, values["id"], values)
    for name, value in values.items():
        set_committed_value(held, name, value)
    return held


def complete(model, values):
    """Every column but the id: the given value, else the column's default (`now_utc`, `list`, a constant), else
    None."""
    return {column.key: values[column.key] if column.key in values else _default(column)
            for column in model.__table__.columns if column.key != "id"}


def _default(column):
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    return default.arg if default.is_scalar else default.arg(None)  # SQLAlchemy wraps it to take a context
