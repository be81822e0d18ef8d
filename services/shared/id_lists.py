"""A column matched against a list of ids (or of texts) in one parameter."""
from sqlalchemy import BigInteger, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def among(session, column, ids, item_type=BigInteger):
    """`column` is one of `ids`: on PostgreSQL one array parameter (= ANY), where an IN list of 10,000
    parameters takes longer to bind and plan than the update itself takes to run. `item_type` is the array's
    element type (Text for numbers printed on cards)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(item_type)))
    return column.in_(list(ids))
