"""The printing file of a batch of physical member cards (制卡文件): one row per card with the numbers the batch
carries (card number, stripe number, barcode, PIN), as CSV or XLSX through services/shared/spreadsheets.py.
Only a finished batch is exported; every export is audited and the batch remembers the last one (who, when)."""
from sqlalchemy import select

from domain.clock import now_utc
from domain.errors import Conflict
from models import MemberCardStock
from services.card_stock.batches import batch_of, require
from services.merchant import audit
from services.shared import spreadsheets

SHEET = "实体会员卡"
FORMATS = ("csv", "xlsx")


def columns(batch):
    """(header, attribute) of the columns this batch's cards carry, in the printer's order."""
    wanted = [("卡号", "card_no"), ("磁条号", "track_no" if batch.with_track else None),
              ("条码", "barcode" if batch.with_barcode else None), ("密码", "pin" if batch.with_pin else None)]
    return [(header, attribute) for header, attribute in wanted if attribute]


def export_rows(session, actor, batch_id, *, fmt, ip=None, now=None):
    """(batch, header, rows) of the printing file; the export goes in the audit trail (owner/admin only)."""
    require(actor, "card_stock.manage", "只有店主或管理员可以导出制卡文件")
    batch = batch_of(session, actor.merchant_id, batch_id)
    if batch.status != "done":
        raise Conflict("该批次还在制卡中，完成后再导出")
    picked = columns(batch)
    cards = session.scalars(select(MemberCardStock).where(MemberCardStock.merchant_id == actor.merchant_id,
                                                          MemberCardStock.batch_id == batch.id)
                            .order_by(MemberCardStock.card_no)).all()
    rows = [tuple(getattr(card, attribute) or "" for _header, attribute in picked) for card in cards]
    batch.exported_at, batch.exported_by_id = now or now_utc(), actor.id
    audit.record(session, actor, "card_stock.batch_export", "member_card_batch", batch.id, ip=ip,
                 after={"format": fmt, "rows": len(rows)})
    session.flush()
    return batch, tuple(header for header, _attribute in picked), rows


def csv_bytes(header, rows):
    """Every column is a number: a tab in front keeps Excel from dropping leading zeros or writing 1.2E+17."""
    return spreadsheets.csv_bytes([header] + [tuple(f"\t{value}" if value else "" for value in row) for row in rows])


def xlsx_bytes(header, rows):
    return spreadsheets.xlsx_bytes(SHEET, [header, *rows], text_columns=tuple(range(len(header))))
