"""Levels reached are the levels a member moved up into

Revision ID: 0018_levels_reached_upward
Revises: 0017_till_refund_lookup
Create Date: 2026-11-24 15:30:00.000000

0014 filled levels_reached from every level a member moved into, downgrades included, and from the level each
member held then. Since then a level counts as reached only on the way up (services/members/levels.py `_change`), so a
member moved down by hand into a level they never climbed to got no upgrade gift when they later climbed into
it. This removes the rows the way up does not explain. A row is kept when the member moved up into the level
(from a lower level, or from none: the join), held it before their recorded history began, or holds it with no
history at all. Rows written since 0014 all come with a move up, so no gift given is forgotten. The level held
before the history began, which 0014 missed, is added.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018_levels_reached_upward'
down_revision = '0017_till_refund_lookup'
branch_labels = None
depends_on = None

MOVED_UP_INTO = (
    "EXISTS (SELECT 1 FROM level_changes c JOIN levels t ON t.id = c.to_level_id"
    " LEFT JOIN levels f ON f.id = c.from_level_id"
    " WHERE c.member_id = levels_reached.member_id AND c.to_level_id = levels_reached.level_id"
    " AND (c.from_level_id IS NULL OR t.rank > f.rank))")
HELD_BEFORE_HISTORY = (
    "EXISTS (SELECT 1 FROM level_changes c WHERE c.member_id = levels_reached.member_id"
    " AND c.from_level_id = levels_reached.level_id"
    " AND c.id = (SELECT MIN(e.id) FROM level_changes e WHERE e.member_id = levels_reached.member_id))")
HELD_WITHOUT_HISTORY = (
    "EXISTS (SELECT 1 FROM members m WHERE m.id = levels_reached.member_id AND m.level_id = levels_reached.level_id"
    " AND NOT EXISTS (SELECT 1 FROM level_changes e WHERE e.member_id = m.id))")


def upgrade():
    op.execute(
        "INSERT INTO levels_reached (merchant_id, member_id, level_id, created_at)"
        " SELECT c.merchant_id, c.member_id, c.from_level_id, c.created_at FROM level_changes c"
        " WHERE c.from_level_id IS NOT NULL"
        " AND c.id = (SELECT MIN(e.id) FROM level_changes e WHERE e.member_id = c.member_id)"
        " AND NOT EXISTS (SELECT 1 FROM levels_reached r WHERE r.member_id = c.member_id"
        " AND r.level_id = c.from_level_id)")
    op.execute(f"DELETE FROM levels_reached WHERE NOT {MOVED_UP_INTO} AND NOT {HELD_BEFORE_HISTORY}"
               f" AND NOT {HELD_WITHOUT_HISTORY}")


def downgrade():
    pass  # the rows removed were wrong; nothing to put back
