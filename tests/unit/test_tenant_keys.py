"""The schema can be distributed by merchant (PostgreSQL's Citus extension, merchant_id as the distribution column).

Citus requires the distribution column in every primary key and every unique constraint of a distributed table,
and the rows a join meets must share it. What is asserted here, on the models' metadata:

- every table of a merchant's rows carries merchant_id, apart from the link tables named below (each row belongs
  to two parents of one merchant);
- every unique constraint, unique index and natural primary key of those tables includes merchant_id (a surrogate
  `id` primary key is left as it is: distributing would make it (merchant_id, id), see README "Scaling out"),
  apart from the keys named below, each with the reason it must be unique across merchants today.

Both lists are checked to be exact: a new exception fails, and a fixed one must be struck off.
"""
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

from models import Base

NOT_TENANT = {  # one row for the whole service, or the development-only sandbox
    "merchants", "shared_tokens", "login_failures", "sandbox_grants", "sandbox_mass_messages",
    "sandbox_mass_recipients", "sandbox_media", "sandbox_outbox", "sandbox_users", "sandbox_cards",
    "sandbox_card_codes",
    "sandbox_alipay_voucher_activities", "sandbox_alipay_vouchers", "sandbox_alipay_voucher_requests",
    "sandbox_alipay_card_templates", "sandbox_alipay_cards", "sandbox_alipay_card_requests", "sandbox_life_follows",
    "sandbox_life_messages",
}
LINK_TABLES_WITHOUT_MERCHANT = {  # to distribute: add merchant_id, copied from the parents
    "api_key_stores": "an API key's stores",
    "card_template_stores": "a card template's stores",
    "coupon_template_stores": "a coupon template's stores",
    "reward_rule_stores": "a reward rule's stores",
    "staff_stores": "a staff member's stores",
    "member_tags": "a member's tags",
    "points_allocations": "which lots a points spending drew from",
}
KEYS_ACROSS_MERCHANTS = {  # (table, columns): why the key is unique over every merchant
    ("api_keys", ("prefix",)): "a till's key is found by its prefix before its merchant is known",
    ("coupon_claim_links", ("token_hash",)): "a claim link is opened by its token alone",
    ("reward_grants", ("token_hash",)): "a reward's claim link is opened by its token alone",
    ("transfers", ("token_hash",)): "a gift card transfer link is opened by its token alone",
    ("orders", ("out_trade_no",)): "the number the payment channel knows; could be (merchant_id, out_trade_no), "
                                   "as the notification URL names the merchant",
    ("order_refunds", ("out_refund_no",)): "the number the channel knows; could be (merchant_id, out_refund_no)",
    ("card_refunds", ("card_id",)): "one refund per card; would be (merchant_id, card_id)",
    ("levels_reached", ("member_id", "level_id")): "one row per member and level; would lead with merchant_id",
    ("wallets", ("member_id",)): "one member wallet per member (partial index); would lead with merchant_id",
    ("campaign_chunks", ("run_id", "seq")): "a run's chunks; would be (merchant_id, run_id, seq)",
}


def _columns(constraint):
    return tuple(column.name for column in constraint.columns)


def tenant_tables():
    return [table for table in Base.metadata.tables.values() if "merchant_id" in table.c and table.name != "merchants"]


def keys_without_merchant():
    """{(table, columns)} of the unique keys of tenant tables that leave merchant_id out (the surrogate id aside)."""
    found = set()
    for table in tenant_tables():
        keys = [_columns(c) for c in table.constraints if isinstance(c, (UniqueConstraint, PrimaryKeyConstraint))]
        keys += [_columns(index) for index in table.indexes if index.unique]
        found |= {(table.name, key) for key in keys if key != ("id",) and "merchant_id" not in key}
    return found


def test_does_every_table_carry_merchant_id_but_the_named_exceptions():
    without = {name for name, table in Base.metadata.tables.items() if "merchant_id" not in table.c}
    assert without - NOT_TENANT == set(LINK_TABLES_WITHOUT_MERCHANT)


def test_does_every_unique_key_of_a_tenant_table_include_merchant_id_but_the_named_exceptions():
    assert keys_without_merchant() == set(KEYS_ACROSS_MERCHANTS)


def test_does_every_natural_primary_key_of_a_tenant_table_lead_with_merchant_id_or_name_its_reason():
    natural = {(table.name, _columns(table.primary_key)) for table in tenant_tables()
               if _columns(table.primary_key) != ("id",)}
    assert {key for key in natural if key[1][0] != "merchant_id"} <= set(KEYS_ACROSS_MERCHANTS)
    assert natural, "no natural primary key found: the metadata was not read"
