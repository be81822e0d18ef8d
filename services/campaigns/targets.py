"""Who one occasion of a campaign targets: one SELECT over members (the audience's conditions and the kind's own),
which the dry run counts and the run freezes into campaign_targets with one INSERT … SELECT.

Each row carries the member's period (once per member per period): the birthday's year ("b2027"), the dormant
spell (the moment of the last visit it follows, "d:<epoch>", and "d:<epoch>:2" for the second step), or the
occasion itself (a holiday, a member day, "once"). ON CONFLICT DO NOTHING on (campaign, member, period) is what
makes a second tick, or a catch-up after a day down, give nobody anything twice. The holdout is a hash of the
member and the campaign's seed, so a member stays in the same group across runs and re-evaluations.
"""
from sqlalchemy import BigInteger, String, and_, case, cast, exists, extract, func, literal, or_, select, text, true

from domain import campaigns as rules
from domain.clock import local_today
from models import CampaignTarget, Member
from services.audiences import filters as audience_filters
from services.shared.insert_once import dialect_insert

ANALYZE_ABOVE = 10000
_HASH_MULTIPLIER = 2654435761  # Knuth's multiplicative hash: the high bits of (id x this) mod 2^32 spread well
_TWO_32 = 4294967296


def selections(session, campaign, merchant, occasion, now):
    """[select of (member_id, period, state)] for the occasion: one per birthday year in the window (at most two),
    else one."""
    base = [Member.merchant_id == merchant.id, Member.status == "active"]
    if campaign.audience_id is not None:
        base += audience_filters.conditions(merchant.id, _audience_filters(session, campaign), merchant.timezone, now)
    today = occasion.local_day if occasion is not None else local_today(merchant.timezone, now)
    step = occasion.step if occasion is not None else 1
    parts = _kind_parts(campaign, merchant, occasion, today, step)
    return [select(Member.id.label("member_id"), period.label("period"), _group(campaign).label("state"))
            .where(*base, *conditions) for period, conditions in parts]


def freeze(session, campaign, run, merchant, occasion, now):
    """Write the occasion's targets for the run; returns how many new rows (members already given this period
    are skipped by the unique key)."""
    return insert_selection(session, campaign, run, merchant, selections(session, campaign, merchant, occasion, now))


def insert_selection(session, campaign, run, merchant, chosen_selects):
    """INSERT … SELECT of the selections into the run's targets; returns how many rows were new."""
    insert = dialect_insert(session)
    added = 0
    for chosen in chosen_selects:
        rows = chosen.subquery()
        statement = insert(CampaignTarget).from_select(
            ["merchant_id", "campaign_id", "run_id", "member_id", "period", "state"],
            select(literal(merchant.id), literal(campaign.id), literal(run.id), rows.c.member_id, rows.c.period,
                   rows.c.state).where(true()))
        added += session.execute(statement.on_conflict_do_nothing(
            index_elements=["merchant_id", "campaign_id", "member_id", "period"])
            .execution_options(preserve_rowcount=True)).rowcount
    if added >= ANALYZE_ABOVE and session.get_bind().dialect.name == "postgresql":
        # fresh statistics for the chunks' range reads over the rows just added (see services/outreach/plan.py)
        session.execute(text("ANALYZE campaign_targets"))
    return added


def not_yet_targeted(campaign, chosen):
    """The selection without members already given this period (what a dry run counts)."""
    rows = chosen.subquery()
    done = exists().where(CampaignTarget.merchant_id == campaign.merchant_id,
                          CampaignTarget.campaign_id == campaign.id, CampaignTarget.member_id == rows.c.member_id,
                          CampaignTarget.period == rows.c.period)
    return select(rows.c.member_id, rows.c.period, rows.c.state).where(~done)


def _audience_filters(session, campaign):
    return audience_filters.Filters.from_json(campaign.audience.filters if campaign.audience else {})


def _group(campaign):
    if not campaign.holdout_percent:
        return literal("pending")
    spread = (cast(Member.id, BigInteger) * _HASH_MULTIPLIER + campaign.holdout_seed) % _TWO_32
    return case((spread * 100 / _TWO_32 < campaign.holdout_percent, literal("holdout")), else_=literal("pending"))


def _kind_parts(campaign, merchant, occasion, today, step):
    """[(period expression, [conditions])] of the campaign's kind."""
    kind, schedule = campaign.kind, campaign.schedule
    if kind == "birthday":
        return _birthday_parts(today, schedule)
    if kind == "dormant":
        return [_dormant_part(campaign, merchant, today, schedule, step)]
    if kind == "audience_entry":
        return [(literal("once"), [])]  # once per member, ever: the nightly sweep and each change agree
    return [(literal(occasion.key if occasion is not None else "once"), [])]


def _birthday_parts(today, schedule):
    by_year = {}
    for occurrence, month, day in rules.birthday_window(today, schedule):
        by_year.setdefault(occurrence.year, set()).add((month, day))
    parts = []
    for year, pairs in sorted(by_year.items()):
        months = {}
        for month, day in pairs:
            months.setdefault(month, set()).add(day)
        matches = or_(*(and_(Member.birthday_month == month, extract("day", Member.birthday).in_(sorted(days)))
                        for month, days in sorted(months.items())))
        parts.append((literal(f"b{year}"), [Member.birthday.is_not(None), matches]))
    return parts


def _last_visit():
    return func.coalesce(Member.last_visit_at, Member.created_at)


def _spell():
    """The dormant spell a member is in: named by the moment of the visit (or join) it follows."""
    return literal("d:") + cast(cast(extract("epoch", _last_visit()), BigInteger), String)


def _dormant_part(campaign, merchant, today, schedule, step):
    first_cutoff = rules.dormant_cutoff(today, schedule["days"], merchant.timezone)
    if step == 1:
        return _spell(), [_last_visit() < first_cutoff]
    second_cutoff = rules.second_cutoff(today, schedule["days"], schedule["second_after_days"], merchant.timezone)
    given_first = exists().where(CampaignTarget.merchant_id == merchant.id, CampaignTarget.campaign_id == campaign.id,
                                 CampaignTarget.member_id == Member.id, CampaignTarget.period == _spell(),
                                 CampaignTarget.state.in_(("rewarded", "holdout")))
    return _spell() + literal(":2"), [_last_visit() < second_cutoff, given_first]

