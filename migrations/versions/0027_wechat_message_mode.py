"""The official account's message mode (明文 / 兼容 / 安全): safe mode accepts encrypted messages only

Revision ID: 0027_wechat_message_mode
Revises: 0026_wechat_nonces
Create Date: 2026-12-07 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_wechat_message_mode'
down_revision = '0026_wechat_nonces'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wechat_message_mode', sa.String(length=12), server_default='compatible',
                                      nullable=False))
    # Without an EncodingAESKey only plain messages could ever be read: say so, rather than leave the merchant on a
    # mode the settings form would refuse to save.
    op.execute("UPDATE merchants SET wechat_message_mode = 'plain' WHERE wechat_aes_key IS NULL OR wechat_aes_key = ''")


def downgrade():
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('wechat_message_mode')
