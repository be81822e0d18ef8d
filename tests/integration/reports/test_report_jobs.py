"""The nightly rebuild: a day built while it was open is rebuilt once it has ended (figures drifted from the raw rows
come right), a day nobody built is built, a final day is left alone; `flask rebuild-reports` rebuilds any day."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from domain.clock import local_midnight_utc, local_today, now_utc
from jobs import reports as report_jobs
from models import ReportBuiltDay, ReportDaily
from services.reports import figures
from services.till import checkout


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    store = make.store(merchant)
    owner = make.staff(merchant, role="owner")
    db.session.commit()
    return merchant, store, owner


def _pay(db, shop, key, amount, when):
    merchant, store, owner = shop
    checkout.pay(db.session, merchant, owner, store_id=store.id, member_id=None, amount=amount, tender="cash",
                 choice=None, seed=key, key=key, now=when)
    db.session.commit()


def _paid(db, merchant, day):
    table = figures.read(db.session, merchant, "sales", day, day, group="total")
    return table[None]["payments"].amount if None in table else 0


def test_does_the_night_rebuild_make_a_day_built_while_open_final(db, shop, monkeypatch):
    # a week back instead of 400 days: the same rule, 8 families x 7 days to build instead of 3,200
    monkeypatch.setattr(report_jobs, "BACK_DAYS", 7)
    merchant = shop[0]
    today = local_today(merchant.timezone)
    yesterday = today - timedelta(days=1)
    noon = local_midnight_utc(yesterday, merchant.timezone) + timedelta(hours=12)
    # the job runs past yesterday's grace, whatever the clock says now (just after local midnight it is within it)
    later = max(now_utc(), local_midnight_utc(today, merchant.timezone) + report_jobs.GRACE + timedelta(minutes=1))
    _pay(db, shop, "a", 1000, noon)
    # built at noon yesterday, then drifted (a lost increment): the figures are off
    db.session.add(ReportBuiltDay(merchant_id=merchant.id, family="sales", day=yesterday, built_at=noon))
    db.session.execute(update(ReportDaily).where(ReportDaily.key == "payments").values(amount=1))
    db.session.commit()
    assert _paid(db, merchant, yesterday) == 1

    assert report_jobs.rebuild_reports_for_merchant(db.session, merchant.id, now=later) >= 1
    assert _paid(db, merchant, yesterday) == 1000
    built_at = db.session.scalar(select(ReportBuiltDay.built_at).where(ReportBuiltDay.day == yesterday,
                                                                      ReportBuiltDay.family == "sales"))
    assert built_at > noon
    # final now: the next run leaves it (and every other closed day) alone
    assert report_jobs.rebuild_reports_for_merchant(db.session, merchant.id, now=later) == 0


def test_does_the_cli_rebuild_any_day(app, db, shop):
    merchant = shop[0]
    day = local_today(merchant.timezone) - timedelta(days=90)
    _pay(db, shop, "old", 777, local_midnight_utc(day, merchant.timezone) + timedelta(hours=9))
    db.session.execute(ReportDaily.__table__.delete())
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rebuild-reports", merchant.slug, "--start", day.isoformat(), "--family", "sales"])
    assert result.exit_code == 0, result.output
    assert "1 report days rebuilt" in result.output
    db.session.expire_all()
    stored = db.session.scalar(select(ReportDaily.amount).where(ReportDaily.day == day,
                                                               ReportDaily.key == "payments"))
    assert stored == 777
    for bad in (["--start", "2026-13-01"], ["--start", "2026-01-02", "--end", "2026-01-01"],
                ["--start", "2026-01-01", "--family", "nope"]):
        assert runner.invoke(args=["rebuild-reports", merchant.slug, *bad]).exit_code != 0
    assert runner.invoke(args=["rebuild-reports", "no-such-shop", "--start", "2026-01-01"]).exit_code != 0


def test_does_a_page_build_what_it_can_and_leave_the_rest_to_a_job(db, shop, monkeypatch):
    from services.reports import figures as report_figures

    merchant = shop[0]
    today = local_today(merchant.timezone)
    old = today - timedelta(days=20)
    _pay(db, shop, "old", 500, local_midnight_utc(old, merchant.timezone) + timedelta(hours=10))
    db.session.execute(ReportDaily.__table__.delete())
    db.session.execute(ReportBuiltDay.__table__.delete())
    db.session.commit()
    sent = []
    monkeypatch.setattr(report_figures, "BUILD_SECONDS", -1)  # no time at all: every closed day is left
    monkeypatch.setattr(report_figures.job_queue, "enqueue", lambda session, name, *args, **kw: sent.append(args))

    report_figures.start_counting_unbuilt()
    read = report_figures.read(db.session, merchant, "sales", today - timedelta(days=29), today, group="total")
    assert len({day for _f, day in report_figures.unbuilt()}) == 29 and sent
    assert read[None]["payments"].amount == 0  # the old payment's day is not built yet

    merchant_id, family, first, last = sent[0]
    assert report_jobs.rebuild_report_days(db.session, merchant_id, family, first, last) == 29
    report_figures.start_counting_unbuilt()
    read = report_figures.read(db.session, merchant, "sales", today - timedelta(days=29), today, group="total")
    assert read[None]["payments"].amount == 500 and not report_figures.unbuilt()
    assert report_jobs.rebuild_report_days(db.session, merchant_id, family, first, last) == 0  # already built
