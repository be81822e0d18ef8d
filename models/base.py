"""Declarative base, naming convention and column types shared by every table."""
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.clock import now_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC on every backend (SQLite drops the offset, so we restore it)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use domain.clock.now_utc()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def link_table(name, owner_column, owner_table, other_column="store_id", other_table="stores"):
    """A many-to-many table of two ids, both its primary key, each removed with the row it points at: the stores a
    template, rule, API key or staff member is for (the default), or a member's tags."""
    return sa.Table(
        name,
        Base.metadata,
        sa.Column(owner_column, sa.ForeignKey(f"{owner_table}.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(other_column, sa.ForeignKey(f"{other_table}.id", ondelete="CASCADE"), primary_key=True),
    )


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=now_utc)


class TenantMixin:
    """Every tenant-owned row carries merchant_id; services always filter on it."""

    merchant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False, index=True
    )


def drop_merchant_indexes_a_wider_one_serves(metadata):
    """TenantMixin indexes merchant_id, yet nearly every tenant table has a unique constraint or an index of its own
    that begins with merchant_id (its idempotency key, code or name): that one serves the look-ups by merchant and
    the merchant's cascade, and the index of merchant_id alone only cost each insert (migration 0019 drops them)."""
    for table in metadata.tables.values():
        alone = [index for index in table.indexes if _column_keys(index) == ["merchant_id"] and not index.unique]
        if not alone:
            continue
        wider = [_column_keys(c) for c in table.constraints
                 if isinstance(c, (sa.UniqueConstraint, sa.PrimaryKeyConstraint))]
        wider += [_column_keys(index) for index in table.indexes if index not in alone]
        if any(keys[:1] == ["merchant_id"] for keys in wider):
            for index in alone:
                table.indexes.discard(index)
            table.c.merchant_id.index = None


def _column_keys(constraint):
    return [column.key for column in constraint.columns]
