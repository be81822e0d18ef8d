"""The members one channel brought in a period (渠道详情): who joined through a source, through a staff member (their
codes and links, and the customers they signed up themselves), or through nobody; each with the join date, the
first payment and 首30天实付 (services/recruitment/channel_cohort.py), newest first, a page at a time from the
database. Phones are masked: the list is for judging a channel, not for calling its members."""
import math
from dataclasses import dataclass

from sqlalchemy import func, select

from domain.phone import mask_mobile
from models import Member
from services.recruitment import channel_cohort

PER_PAGE = 50
MAX_PAGE = 100_000  # a typed page number far beyond the data must not become a huge OFFSET


@dataclass(frozen=True)
class Brought:
    member_id: int
    name: str
    mobile: str  # masked
    joined_at: object
    first_at: object  # the first payment ever (it may precede the join); None when they never paid
    first_paid: bool  # the first payment came within the window after joining
    money: int  # fen


@dataclass(frozen=True)
class Page:
    """A page of a list, with what the back office's pager macro reads."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1

    @property
    def next_num(self):
        return self.page + 1

    @classmethod
    def of_list(cls, items, page, per_page=PER_PAGE):
        page = _within(_page_number(page), len(items), per_page)
        return cls(items[(page - 1) * per_page:page * per_page], page, per_page, len(items))


def brought(session, scope, only, page=1, per_page=PER_PAGE):
    """A Page of Brought for one channel: `only` as channel_cohort.joined takes it."""
    cohort = channel_cohort.members(scope, session.get_bind().dialect.name, only).subquery()
    total = session.scalar(select(func.count()).select_from(cohort))
    page = _within(_page_number(page), total, per_page)
    rows = session.execute(
        select(Member.id, Member.name, Member.mobile, cohort.c.joined_at, cohort.c.first_at, cohort.c.first_paid,
               cohort.c.money)
        .join(cohort, cohort.c.member_id == Member.id).where(Member.merchant_id == scope.merchant_id)
        .order_by(cohort.c.joined_at.desc(), Member.id.desc())
        .limit(per_page).offset((page - 1) * per_page))
    items = [Brought(member_id, name or "", mask_mobile(mobile), joined_at, first_at, bool(first_paid), int(money))
             for member_id, name, mobile, joined_at, first_at, first_paid, money in rows]
    return Page(items, page, per_page, total)


def summary(session, scope, only):
    """(joins, first payments, 首30天实付 in fen) of one channel in the period: what heads its member list."""
    cohort = channel_cohort.members(scope, session.get_bind().dialect.name, only).subquery()
    joins, first_payments, money = session.execute(select(
        func.count(), func.coalesce(func.sum(cohort.c.first_paid), 0), func.coalesce(func.sum(cohort.c.money), 0))
    ).one()
    return int(joins), int(first_payments), int(money)


def _page_number(page):
    return page if isinstance(page, int) and 1 <= page <= MAX_PAGE else 1


def _within(page, total, per_page):
    """A page past the end is the last one (a list that shrank since its link was made still shows rows)."""
    return min(page, max(1, math.ceil(total / per_page)))
