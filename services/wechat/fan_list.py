"""微信粉丝 in the back office: the merchant's followers with their follow and unfollow dates and how they found the
account, filtered and paged, the figures on top (fans, following now, became members and the conversion), and
the CSV export streamed row by row.

Every figure is one set-based statement scoped by merchant; the list is a select the view pages; the export reads
in batches (yield_per) so a large account is never held in memory.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from domain.clock import local_midnight_utc, to_local
from domain.phone import mask_mobile
from models import Fan, Member

STATUSES = ("all", "subscribed", "unsubscribed")
STATUS_LABELS = {"all": "全部", "subscribed": "关注中", "unsubscribed": "已取消关注"}
BECAME = ("all", "member", "not_member")
BECAME_LABELS = {"all": "全部", "member": "已成为会员", "not_member": "未成为会员"}

# WeChat's subscribe_scene values (user/info), in the words of the official account platform.
SCENE_LABELS = {
    "ADD_SCENE_SEARCH": "搜索公众号",
    "ADD_SCENE_ACCOUNT_MIGRATION": "公众号迁移",
    "ADD_SCENE_PROFILE_CARD": "名片分享",
    "ADD_SCENE_QR_CODE": "扫描二维码",
    "ADD_SCENE_PROFILE_LINK": "图文页内名称点击",
    "ADD_SCENE_PROFILE_ITEM": "图文页右上角菜单",
    "ADD_SCENE_PAID": "支付后关注",
    "ADD_SCENE_WECHAT_ADVERTISEMENT": "微信广告",
    "ADD_SCENE_REPRINT": "他人转载",
    "ADD_SCENE_LIVESTREAM": "视频号直播",
    "ADD_SCENE_CHANNELS": "视频号",
    "ADD_SCENE_WXA": "小程序关注",
    "ADD_SCENE_OTHERS": "其他",
}
UNKNOWN_SCENE = "其他"
EXPORT_HEADER = ("昵称", "OpenID", "状态", "来源", "关注时间", "取消关注时间", "会员手机号")
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class Filters:
    status: str = "all"
    became: str = "all"
    date_from: date | None = None  # followed on or after, in the merchant's days
    date_to: date | None = None


@dataclass(frozen=True)
class Figures:
    total: int
    following: int
    members: int

    @property
    def conversion_percent(self):
        """Share of fans who became members, one decimal; 0 with no fans."""
        return round(self.members * 100 / self.total, 1) if self.total else 0.0


def figures(session, merchant_id):
    """Fans ever recorded, following now, and those who became members: one pass over the merchant's fans."""
    total, following, members = session.execute(
        select(func.count(Fan.id),
               func.coalesce(func.sum(case((Fan.subscribed.is_(True), 1), else_=0)), 0),
               func.coalesce(func.sum(case((Fan.member_id.is_not(None), 1), else_=0)), 0))
        .where(Fan.merchant_id == merchant_id)).one()
    return Figures(int(total), int(following), int(members))


def _where(merchant_id, filters: Filters, tz_name):
    clauses = [Fan.merchant_id == merchant_id]
    if filters.status == "subscribed":
        clauses.append(Fan.subscribed.is_(True))
    elif filters.status == "unsubscribed":
        clauses.append(Fan.subscribed.is_(False))
    if filters.became == "member":
        clauses.append(Fan.member_id.is_not(None))
    elif filters.became == "not_member":
        clauses.append(Fan.member_id.is_(None))
    if filters.date_from:
        clauses.append(Fan.subscribed_at >= local_midnight_utc(filters.date_from, tz_name))
    if filters.date_to:
        clauses.append(Fan.subscribed_at < local_midnight_utc(filters.date_to + timedelta(days=1), tz_name))
    return clauses


_LATEST_FIRST = (Fan.subscribed_at.desc().nulls_last(), Fan.id.desc())


def fans(merchant_id, filters: Filters, tz_name):
    """The matching fans, latest follow first, with the member each became loaded, for paging."""
    return (select(Fan).options(selectinload(Fan.member)).where(*_where(merchant_id, filters, tz_name))
            .order_by(*_LATEST_FIRST))


def _with_mobiles(merchant_id, filters: Filters, tz_name):
    return (select(Fan, Member.mobile)
            .outerjoin(Member, (Member.id == Fan.member_id) & (Member.merchant_id == merchant_id))
            .where(*_where(merchant_id, filters, tz_name)).order_by(*_LATEST_FIRST))


def source_label(fan):
    """How the fan found the account; a parametric QR code shows its scene."""
    label = SCENE_LABELS.get(fan.subscribe_scene or "", UNKNOWN_SCENE)
    if fan.qr_scene and fan.subscribe_scene in (None, "ADD_SCENE_QR_CODE"):
        return f"扫描二维码（{fan.qr_scene}）"
    return label


def _cell(text):
    """Text as a spreadsheet cell: a leading = + - @ would be run as a formula, so it is quoted."""
    return "'" + text if text and text[0] in "=+-@" else text


def _moment(value, tz_name):
    return to_local(value, tz_name).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def export_rows(session, merchant_id, filters: Filters, tz_name):
    """The header, then one row per matching fan, read in batches."""
    yield EXPORT_HEADER
    for fan, mobile in session.execute(_with_mobiles(merchant_id, filters, tz_name).execution_options(
            yield_per=EXPORT_BATCH)):
        yield (_cell(fan.nickname or ""), fan.openid, STATUS_LABELS["subscribed" if fan.subscribed else "unsubscribed"],
               _cell(source_label(fan)), _moment(fan.subscribed_at, tz_name), _moment(fan.unsubscribed_at, tz_name),
               mask_mobile(mobile) if mobile else "")


def export_csv_chunks(session, merchant_id, filters: Filters, tz_name):
    """The CSV (with a byte-order mark, so Excel opens Chinese text) as encoded chunks, one per row."""
    yield "\ufeff".encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out)
    for row in export_rows(session, merchant_id, filters, tz_name):
        writer.writerow(row)
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
