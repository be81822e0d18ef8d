"""Failed sign-ins counted per window, for the login limits when there is no Redis (the embedded mode); keyed by
the account tried (merchant code and user name) or the client address, so it is not a tenant table."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (sa.PrimaryKeyConstraint("key", "window"),)

    key: Mapped[str] = mapped_column(sa.String(160), nullable=False)  # "account:<merchant>/<user>" or "ip:<addr>"
    window: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # epoch seconds // the window's length
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
