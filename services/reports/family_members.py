"""Members (会员报表): who joined each day by channel and store, WeChat fans following, leaving and becoming members,
and at each day's end the members on the books, active and dormant, and per level.

Definitions (the test tests/integration/reports/test_members_report.py counts the same over the raw rows):

- Joined: a member joined when their row was created (members.created_at), whoever created it: the card claimed in
  WeChat or Alipay, a staff member's assisted join, the back office. (渠道分析 counts a member on the day their
  card was first opened through a channel instead; for a member made in the back office who claims the card
  later, the two days differ.)
- Channel (key new:<channel>): the member's join attribution (services/recruitment/attribution.py), when it was
  recorded by the end of the joining day: its source's kind (store 门店码, staff 店员码, member 会员邀请, campaign,
  send), share:<share channel> for a 推广渠道 link (朋友圈, 分享海报, ...), "assisted" when a staff member signed the
  customer up without a code (店员帮办), "natural" when nobody brought them (自然流量: the card claimed alone). A
  member without such an attribution (made in the back office, imported, or whose card was claimed only later)
  is "other". Members carry no channel column of their own, so the attribution is the one record of how they came.
- Store: the member's home store (members.home_store_id: the store of an assisted join, or the one the back office
  set), else none (0, 线上/未指定门店), in both families, so a store's new members add up to its total. (The store a
  join attribution names, a store's join code, is not a fallback: reading attributions for every member on the
  books would nearly double the cost of each day's snapshot.)
- Fans (store 0, merchant-wide): fans:followed / fans:unfollowed count the fans whose follow / unfollow time falls
  in the day. A fan row keeps only its latest follow and unfollow, so a fan who follows again moves to the new
  day in a rebuild; a closed day's rollup keeps what it counted. fans:became_member counts the members who joined
  in the day and were already a fan of the account then (a fan row linked to them, recorded no later than they
  joined): a follower who converted, not a member who followed afterwards.
- member_totals (a snapshot at the day's end E): total = members joined before E; active = those with a till
  payment (a checkout, refunded or not: the visit happened) in the 30 days before E; dormant = total - active;
  level:<level id> (0 = none) = members per level at E. Every level change goes through services/members/levels.py,
  which writes a level_changes row from the old level to the new, so the level at E is the old level of the
  member's first change at or after E, or the member's current level when there is none: only changes since E are
  read, so last night's snapshot is cheap however long the history. The home store is read as it is now (no
  history is kept of it); a disabled member is still on the books.

Every statement reads one merchant through indexes that start with merchant_id (members, fans, level_changes and
checkouts by their time, the checkouts' carrying the member so the 30 days are read from the index alone;
attributions by member; migration 0040). At 1,000,000 members and 10,000,000 checkouts a day's snapshot is
one pass over the members and one over the month's checkouts from that index: about a second of one core
(650,000 members active), a day of new members and fans a few hundredths (bench/reports.py).
"""
from datetime import timedelta

from sqlalchemy import Integer, String, and_, case, cast, exists, func, literal, select, union_all

from models import Attribution, Checkout, Fan, LevelChange, Member, RecruitSource
from services.reports.families import register

NEW_MEMBERS, TOTALS = "members", "member_totals"
ACTIVE_DAYS = 30
OTHER, NATURAL, ASSISTED = "other", "natural", "assisted"


def _columns(united):
    columns = list(united.c)
    return select(columns[0].label("store_id"), columns[1].label("key"), columns[2].label("count"),
                  columns[3].label("amount"))


def _with_join(merchant_id, end):
    """Members outer-joined to their join attribution recorded before `end` (at most one: its key is the member's)
    and to that attribution's source."""
    known = and_(Attribution.merchant_id == merchant_id, Attribution.member_id == Member.id,
                 Attribution.event == "join", Attribution.created_at < end)
    source = and_(RecruitSource.merchant_id == merchant_id, RecruitSource.id == Attribution.source_id)
    return Member.__table__.outerjoin(Attribution.__table__, known).outerjoin(RecruitSource.__table__, source)


def _channel():
    return case(
        (and_(RecruitSource.kind == "share", RecruitSource.share_channel.is_not(None)),
         literal("share:", String) + RecruitSource.share_channel),
        (RecruitSource.kind.is_not(None), RecruitSource.kind),
        (Attribution.staff_id.is_not(None), literal(ASSISTED, String)),
        (Attribution.id.is_not(None), literal(NATURAL, String)),
        else_=literal(OTHER, String))


@register(NEW_MEMBERS)
def new_member_rows(window):
    mid, start, end = window.merchant_id, window.start, window.end
    one, zero = literal(1, Integer), literal(0, Integer)
    joined = (select(Member.home_store_id, literal("new:", String) + _channel(), one, zero)
              .select_from(_with_join(mid, end))
              .where(Member.merchant_id == mid, Member.created_at >= start, Member.created_at < end))
    followed = (select(literal(None, Integer), literal("fans:followed", String), one, zero)
                .where(Fan.merchant_id == mid, Fan.subscribed_at >= start, Fan.subscribed_at < end))
    unfollowed = (select(literal(None, Integer), literal("fans:unfollowed", String), one, zero)
                  .where(Fan.merchant_id == mid, Fan.unsubscribed_at >= start, Fan.unsubscribed_at < end))
    was_fan = exists().where(Fan.merchant_id == mid, Fan.member_id == Member.id, Fan.created_at <= Member.created_at)
    converted = (select(literal(None, Integer), literal("fans:became_member", String), one, zero)
                 .where(Member.merchant_id == mid, Member.created_at >= start, Member.created_at < end, was_fan))
    return _columns(union_all(joined, followed, unfollowed, converted).subquery())


@register(TOTALS, snapshot=True)
def totals_rows(window):
    mid, end = window.merchant_id, window.end
    active_ids = (select(Checkout.member_id)
                  .where(Checkout.merchant_id == mid, Checkout.created_at >= end - timedelta(days=ACTIVE_DAYS),
                         Checkout.created_at < end, Checkout.member_id.is_not(None))
                  .distinct().subquery("active_ids"))
    changes = (select(LevelChange.member_id, LevelChange.from_level_id,
                      func.row_number().over(partition_by=LevelChange.member_id,
                                             order_by=(LevelChange.created_at, LevelChange.id)).label("nth"))
               .where(LevelChange.merchant_id == mid, LevelChange.created_at >= end).subquery("changes"))
    first_change = and_(changes.c.member_id == Member.id, changes.c.nth == 1)
    level = case((changes.c.member_id.is_not(None), changes.c.from_level_id), else_=Member.level_id)
    store = func.coalesce(Member.home_store_id, literal(0, Integer))
    level_key = func.coalesce(level, literal(0, Integer))
    active = case((active_ids.c.member_id.is_not(None), 1), else_=0)
    books = (select(store.label("store_id"), level_key.label("level_id"), func.count().label("members"),
                    func.sum(active).label("active"))
             .select_from(Member.__table__.outerjoin(active_ids, active_ids.c.member_id == Member.id)
                          .outerjoin(changes, first_change))
             .where(Member.merchant_id == mid, Member.created_at < end)
             .group_by(store, level_key).cte("books"))
    zero = literal(0, Integer)
    parts = [
        select(books.c.store_id, literal("total", String), books.c.members, zero),
        select(books.c.store_id, literal("active", String), books.c.active, zero),
        select(books.c.store_id, literal("dormant", String), books.c.members - books.c.active, zero),
        select(books.c.store_id, literal("level:", String) + cast(books.c.level_id, String), books.c.members, zero),
    ]
    return _columns(union_all(*parts).subquery())
