"""Report jobs: every night (the job runs hourly and finds nothing to do most hours) each merchant's closed days
are rebuilt from the raw tables once they have ended, so yesterday's figures become final whatever the payments
added during the day; a day nobody built (the rollups are new, or the worker was down) is built too. Any day can
be rebuilt by hand: `flask rebuild-reports`."""
import logging
from datetime import date, timedelta

from sqlalchemy import select

from domain.clock import local_today, now_utc
from jobs.base import job
from models import Merchant
from services.reports import catalogue, rollups
from services.shared import job_queue

log = logging.getLogger(__name__)
BACK_DAYS = 400  # a year and a month: after a deploy, the first night builds what the reports can ask for
GRACE = timedelta(minutes=30)


@job(queue="scheduled")
def rebuild_reports_everywhere(session):
    """Periodic: one rebuild job per merchant, each committing day by day."""
    for merchant_id in session.scalars(select(Merchant.id).order_by(Merchant.id)).all():
        job_queue.enqueue(session, rebuild_reports_for_merchant.job_name, merchant_id)


@job(queue="scheduled")
def rebuild_reports_for_merchant(session, merchant_id, now=None):
    """Rebuild each family's due days, one commit per day: a worker stopped midway leaves the rest due."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        return 0
    now = now or now_utc()
    today, rebuilt = local_today(merchant.timezone, now), 0
    for fam in catalogue.all_families():
        for day in rollups.days_due(session, merchant.id, merchant.timezone, fam, today, BACK_DAYS, GRACE, now):
            rollups.rebuild_day(session, merchant.id, merchant.timezone, fam, day, now)
            session.commit()
            rebuilt += 1
    if rebuilt:
        log.info("report days rebuilt for merchant %s: %s", merchant_id, rebuilt)
    return rebuilt


@job(queue="scheduled")
def rebuild_report_days(session, merchant_id, family_name, first, last):
    """The days a report page could not build in its few seconds (services/reports/figures.py), newest first, one
    commit per day; days someone built meanwhile are skipped."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None or family_name not in {fam.name for fam in catalogue.all_families()}:
        return 0
    fam, first, last = catalogue.family(family_name), date.fromisoformat(first), date.fromisoformat(last)
    built = 0
    for n in range((last - first).days + 1):
        day = last - timedelta(days=n)
        if not rollups.built_days(session, merchant.id, fam.name, day, day):
            rollups.rebuild_day(session, merchant.id, merchant.timezone, fam, day)
            built += 1
            session.commit()
    return built


def rebuild_days(session, merchant, first, last, family_names=None):
    """Rebuild [first, last] of the named families (all when None), one commit per day; returns the days built."""
    families = [catalogue.family(name) for name in family_names] if family_names else catalogue.all_families()
    rebuilt = 0
    for fam in families:
        for n in range((last - first).days + 1):
            rollups.rebuild_day(session, merchant.id, merchant.timezone, fam, first + timedelta(days=n))
            session.commit()
            rebuilt += 1
    return rebuilt
