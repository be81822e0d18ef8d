import functools
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from domain import roles
from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime, link_table

staff_stores = link_table("staff_stores", "staff_id", "staff")


class Staff(UserMixin, TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "staff"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "username"),
        sa.CheckConstraint(f"role IN {roles.ALL_ROLES!r}", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    mobile: Mapped[str | None] = mapped_column(sa.String(20))
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    last_login_at = mapped_column(UTCDateTime())
    # Part of the id a signed-in session carries (get_id): raising it ends every session of this person at once,
    # copies of the cookie included (a logout, a password change).
    session_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")

    merchant = relationship("Merchant")
    stores = relationship("Store", secondary=staff_stores, order_by="Store.id")

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self):
        self.session_version = (self.session_version or 0) + 1

    def get_id(self):
        """What the session cookie names: the person and their session version (see session_version)."""
        return f"{self.id}:{self.session_version or 0}"

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def check_stand_in_password(password):
        """Spend the time a real check takes, when nobody has the name tried (sign-in timing tells nothing)."""
        check_password_hash(_stand_in_hash(), password)

    @property
    def is_active(self):
        return self.active

    def can(self, permission):
        return roles.can(self.role, permission)

    @property
    def is_store_bound(self):
        return roles.is_store_bound(self.role)

    def can_act_in(self, store_id):
        """Store-bound roles act only in their stores; the others act in all of the merchant's."""
        if not self.is_store_bound:
            return True
        return any(store.id == store_id for store in self.stores)

    @property
    def role_label(self):
        return roles.ROLE_LABELS.get(self.role, self.role)


@functools.lru_cache(maxsize=1)
def _stand_in_hash():
    """A hash made like a real one (the same method and cost) of a password nobody knows."""
    return generate_password_hash(secrets.token_urlsafe(16))
