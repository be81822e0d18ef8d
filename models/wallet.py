import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime
from models.ledger import LedgerEntryMixin

WALLET_KINDS = ("member", "gift_card")
WALLET_TXN_KINDS = ("credit", "debit", "refund", "freeze", "unfreeze", "withdraw")
# withdraw: value leaves the wallet the way a credit came in (principal back to the member, bonus back to the
# merchant): a returned card, a refunded top-up.
WALLET_TXN_LABELS = {"credit": "充值", "debit": "消费", "refund": "退款", "freeze": "冻结", "unfreeze": "解冻",
                     "withdraw": "退还"}

# Accounts of the double-entry journal. Wallet accounts carry a wallet_id; the others are the merchant's.
ACCOUNT_WALLET_PRINCIPAL = "wallet_principal"
ACCOUNT_WALLET_BONUS = "wallet_bonus"
ACCOUNT_CASH = "cash"  # money received from or returned to the member
ACCOUNT_BONUS_GRANTED = "bonus_granted"  # marketing cost of bonus value given away
ACCOUNT_SALES = "sales"  # value consumed by purchases
ACCOUNTS = (ACCOUNT_WALLET_PRINCIPAL, ACCOUNT_WALLET_BONUS, ACCOUNT_CASH, ACCOUNT_BONUS_GRANTED, ACCOUNT_SALES)


class Wallet(TenantMixin, CreatedAtMixin, Base):
    """Stored value in fen. Principal (paid money) and bonus (given) are kept apart."""

    __tablename__ = "wallets"
    __table_args__ = (
        sa.CheckConstraint("principal >= 0", name="principal_nonneg"),
        sa.CheckConstraint("bonus >= 0", name="bonus_nonneg"),
        sa.CheckConstraint(f"kind IN {WALLET_KINDS!r}", name="kind_known"),
        sa.Index(
            "uq_wallets_member_wallet", "member_id", unique=True,
            postgresql_where=sa.text("kind = 'member'"), sqlite_where=sa.text("kind = 'member'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="member")
    principal: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    bonus: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    frozen: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    updated_at = mapped_column(UTCDateTime())

    member = relationship("Member")

    @property
    def balance(self):
        return self.principal + self.bonus


class WalletTransaction(TenantMixin, CreatedAtMixin, LedgerEntryMixin, Base):
    __tablename__ = "wallet_transactions"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.CheckConstraint(f"kind IN {WALLET_TXN_KINDS!r}", name="kind_known"),
        sa.Index("ix_wallet_transactions_wallet_created", "wallet_id", "created_at"),
        # 储值报表 (services/reports/family_wallet.py): a merchant's journal of one day, or up to a day's end
        sa.Index("ix_wallet_transactions_merchant_created", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(sa.ForeignKey("wallets.id", ondelete="CASCADE"), nullable=False)
    # Signed change of each side of the wallet; a debit records how it split, so a refund can reverse it.
    principal_delta: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    bonus_delta: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    principal_after: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    bonus_after: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wallet_transactions.id", ondelete="RESTRICT"), index=True)

    wallet = relationship("Wallet")
    postings = relationship("WalletPosting", back_populates="transaction", order_by="WalletPosting.id")

    @property
    def amount(self):
        return self.principal_delta + self.bonus_delta

    @property
    def kind_label(self):
        return WALLET_TXN_LABELS.get(self.kind, self.kind)


class WalletPosting(TenantMixin, Base):
    """One leg of a journal transaction. The legs of every transaction sum to zero."""

    __tablename__ = "wallet_postings"
    __table_args__ = (sa.CheckConstraint(f"account IN {ACCOUNTS!r}", name="account_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("wallet_transactions.id", ondelete="CASCADE"), nullable=False, index=True)
    account: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    wallet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wallets.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    transaction = relationship("WalletTransaction", back_populates="postings")
