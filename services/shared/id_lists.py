"""A column matched against a list of ids in one parameter."""
from sqlalchemy import BigInteger, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def among(session, column, ids):
    """`column` is one of `ids`: on PostgreSQL one array parameter (= ANY), where an IN list of 10,000
    parameters takes longer to bind and plan than the update itself takes to run."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    return column.in_(list(ids))
