"""Gift rules (registration, follow, level upgrade)

Revision ID: 0014_gift_rules
Revises: 0013_reward_rules
Create Date: 2026-11-24 06:00:00.000000

The registration and follow points of wechat_settings become reward rules of kinds registration / follow (same
amounts, active); the columns go. levels_reached is filled from the level history, so a member who already
reached a level before upgrade gifts existed gets nothing for reaching it again.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import models.base
import models.crypto


# revision identifiers, used by Alembic.
revision = '0014_gift_rules'
down_revision = '0013_reward_rules'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('post_payment', 'receipt_coupon')"
NEW_KINDS = "kind IN ('post_payment', 'receipt_coupon', 'registration', 'follow', 'level_up')"
SETTINGS_GIFTS = (("registration_points", "registration", "开卡礼"), ("follow_gift_points", "follow", "关注礼"))

rules = sa.table("reward_rules", sa.column("id", sa.Integer), sa.column("merchant_id", sa.Integer),
                 sa.column("kind", sa.String), sa.column("name", sa.String), sa.column("all_stores", sa.Boolean),
                 sa.column("level_ids", sa.JSON), sa.column("for_non_members", sa.Boolean),
                 sa.column("min_paid", sa.BigInteger), sa.column("rewards", sa.JSON),
                 sa.column("active", sa.Boolean), sa.column("created_at", models.base.UTCDateTime(timezone=True)))
settings = sa.table("wechat_settings", sa.column("merchant_id", sa.Integer),
                    sa.column("registration_points", sa.Integer), sa.column("follow_gift_points", sa.Integer))


def upgrade():
    with op.batch_alter_table('reward_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reward_rules_level_id'), ['level_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reward_rules_level_id_levels'), 'levels', ['level_id'], ['id'],
                                    ondelete='RESTRICT')
        batch_op.drop_constraint(batch_op.f('ck_reward_rules_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_reward_rules_kind_known'), NEW_KINDS)
        batch_op.create_check_constraint(batch_op.f('ck_reward_rules_level_for_level_up'),
                                         "(kind = 'level_up') = (level_id IS NOT NULL)")

    with op.batch_alter_table('reward_grants', schema=None) as batch_op:
        batch_op.alter_column('checkout_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('store_id', existing_type=sa.Integer(), nullable=True)

    op.create_table('levels_reached',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['level_id'], ['levels.id'], name=op.f('fk_levels_reached_level_id_levels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_levels_reached_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_levels_reached_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_levels_reached')),
    sa.UniqueConstraint('member_id', 'level_id', name=op.f('uq_levels_reached_member_id_level_id'))
    )
    with op.batch_alter_table('levels_reached', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_levels_reached_merchant_id'), ['merchant_id'], unique=False)

    _fill_levels_reached()
    _settings_to_rules()

    with op.batch_alter_table('wechat_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_wechat_settings_registration_points_nonneg'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_wechat_settings_follow_gift_points_nonneg'), type_='check')
        batch_op.drop_column('follow_gift_points')
        batch_op.drop_column('registration_points')


def _fill_levels_reached():
    """Every level a member moved into, and the level each member holds now (one row per pair)."""
    op.execute(
        "INSERT INTO levels_reached (merchant_id, member_id, level_id, created_at) "
        "SELECT merchant_id, member_id, level_id, MIN(created_at) FROM ("
        " SELECT merchant_id, member_id, to_level_id AS level_id, created_at FROM level_changes"
        " WHERE to_level_id IS NOT NULL"
        " UNION ALL SELECT merchant_id, id, level_id, created_at FROM members WHERE level_id IS NOT NULL"
        ") AS reached GROUP BY merchant_id, member_id, level_id")


def _settings_to_rules():
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    for row in bind.execute(sa.select(settings)).mappings().all():
        for column, kind, name in SETTINGS_GIFTS:
            if row[column] and row[column] > 0:
                bind.execute(rules.insert().values(
                    merchant_id=row["merchant_id"], kind=kind, name=name, all_stores=True, level_ids=[],
                    for_non_members=False, min_paid=0, active=True, created_at=now,
                    rewards={"points": row[column], "growth": 0, "coupons": [], "count_cards": []}))


def downgrade():
    with op.batch_alter_table('wechat_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_points', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('follow_gift_points', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_wechat_settings_registration_points_nonneg'),
                                         'registration_points >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_wechat_settings_follow_gift_points_nonneg'),
                                         'follow_gift_points >= 0')
    _rules_to_settings()

    # Gift grants and rules cannot exist in the old schema: they go (the points and coupons they gave stay).
    op.execute("DELETE FROM reward_grants WHERE checkout_id IS NULL OR store_id IS NULL")
    op.execute("DELETE FROM reward_rule_stores WHERE rule_id IN "
               "(SELECT id FROM reward_rules WHERE kind IN ('registration', 'follow', 'level_up'))")
    op.execute("DELETE FROM reward_grants WHERE rule_id IN "
               "(SELECT id FROM reward_rules WHERE kind IN ('registration', 'follow', 'level_up'))")
    op.execute("DELETE FROM reward_rules WHERE kind IN ('registration', 'follow', 'level_up')")

    with op.batch_alter_table('levels_reached', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_levels_reached_merchant_id'))
    op.drop_table('levels_reached')

    with op.batch_alter_table('reward_grants', schema=None) as batch_op:
        batch_op.alter_column('store_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('checkout_id', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('reward_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reward_rules_level_for_level_up'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_reward_rules_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_reward_rules_kind_known'), OLD_KINDS)
        batch_op.drop_constraint(batch_op.f('fk_reward_rules_level_id_levels'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reward_rules_level_id'))
        batch_op.drop_column('level_id')


def _rules_to_settings():
    """The points of each merchant's first active registration / follow rule go back into the settings."""
    bind = op.get_bind()
    found = bind.execute(sa.select(rules.c.merchant_id, rules.c.kind, rules.c.rewards)
                         .where(rules.c.kind.in_(("registration", "follow")), rules.c.active.is_(True))
                         .order_by(rules.c.id)).all()
    done = set()
    for merchant_id, kind, rewards in found:
        column = "registration_points" if kind == "registration" else "follow_gift_points"
        points = (rewards or {}).get("points") or 0
        if (merchant_id, kind) in done or points <= 0:
            continue
        done.add((merchant_id, kind))
        bind.execute(settings.update().where(settings.c.merchant_id == merchant_id).values({column: points}))
