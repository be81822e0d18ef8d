"""The members an audience holds right now: how many, the first of them, and all of them as a spreadsheet."""
from sqlalchemy import func, select

from domain.clock import to_local
from models import Level, Member, Wallet
from models.member import GENDER_LABELS
from services.audiences import filters as audience_filters
from services.shared import spreadsheets
from services.shared.tenancy import merchant_timezone

SAMPLE_SIZE = 20
EXPORT_CHUNK = 5000
EXPORT_HEADER = ("会员ID", "手机号", "姓名", "性别", "等级", "积分", "储值余额(元)", "累计消费(元)", "到店次数",
                 "最近到店", "入会时间")


def count(session, merchant_id, filters, now=None):
    where = audience_filters.conditions(merchant_id, filters, merchant_timezone(session, merchant_id), now)
    return session.scalar(select(func.count()).select_from(Member).where(*where))


def sample(session, merchant_id, filters, limit=SAMPLE_SIZE, now=None):
    """The first members (by join order) the audience holds."""
    where = audience_filters.conditions(merchant_id, filters, merchant_timezone(session, merchant_id), now)
    return session.scalars(select(Member).where(*where).order_by(Member.id).limit(limit)).all()


def member_ids(session, merchant_id, filters, now=None):
    """Every member id, in order: what a send freezes."""
    where = audience_filters.conditions(merchant_id, filters, merchant_timezone(session, merchant_id), now)
    return session.scalars(select(Member.id).where(*where).order_by(Member.id)).all()


def export(session, merchant_id, filters, fmt, now=None):
    """(bytes, mimetype, file extension) of the audience's members: CSV with BOM or XLSX."""
    rows = [EXPORT_HEADER, *_rows(session, merchant_id, filters, now)]
    if fmt == "xlsx":
        return (spreadsheets.xlsx_bytes("人群", rows, text_columns=(1,)),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    return spreadsheets.csv_bytes(rows), "text/csv; charset=utf-8", "csv"


def _rows(session, merchant_id, filters, now):
    tz_name = merchant_timezone(session, merchant_id)
    where = audience_filters.conditions(merchant_id, filters, tz_name, now)
    balance = (select(func.coalesce(func.sum(Wallet.principal + Wallet.bonus), 0))
               .where(Wallet.merchant_id == merchant_id, Wallet.member_id == Member.id, Wallet.kind == "member")
               .scalar_subquery())
    query = (select(Member.id, Member.mobile, Member.name, Member.gender, Level.name, Member.points_balance, balance,
                    Member.total_spend, Member.visit_count, Member.last_visit_at, Member.created_at)
             .outerjoin(Level, Level.id == Member.level_id).where(*where).order_by(Member.id))
    for row in session.execute(query.execution_options(yield_per=EXPORT_CHUNK)):
        (member_id, mobile, name, gender, level, points, purse, spend, visits, last_visit, joined) = row
        yield (member_id, mobile, name or "", GENDER_LABELS.get(gender, gender), level or "", points,
               spreadsheets.yuan_number(purse), spreadsheets.yuan_number(spend), visits,
               _local(last_visit, tz_name), _local(joined, tz_name))


def _local(moment, tz_name):
    return to_local(moment, tz_name).strftime("%Y-%m-%d %H:%M") if moment else ""

