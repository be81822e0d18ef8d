"""Per-merchant API keys for shops with their own till. Only a hash of the secret is stored."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime, link_table

api_key_stores = link_table("api_key_stores", "api_key_id", "api_keys")


class ApiKey(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "api_keys"
    __table_args__ = (sa.UniqueConstraint("prefix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(12), nullable=False)  # public part, shown in lists and logs
    secret_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)  # sha256 hex of the whole key
    all_stores: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    last_used_at = mapped_column(UTCDateTime())
    revoked_at = mapped_column(UTCDateTime())

    stores = relationship("Store", secondary=api_key_stores, order_by="Store.id")
    merchant = relationship("Merchant")

    is_api_key = True  # an actor that is a till, not a staff member (services.verification.records.is_api_key)

    def can_act_in(self, store_id):
        """A key limited to some stores verifies only there; an all-stores key anywhere in its merchant."""
        return self.all_stores or any(store.id == store_id for store in self.stores)

    @property
    def actor_label(self):
        return f"接口 {self.name}"
