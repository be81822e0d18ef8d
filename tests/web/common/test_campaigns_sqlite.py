"""Issuing at scale on the embedded database `make run` uses: the bulk issue's one statement per chunk and a
campaign run (codes, points, the holdout, the weekly cap's upsert) work on SQLite too."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from tests.web.common.test_cli_and_migrations import flask


def test_do_a_bulk_issue_and_a_campaign_run_on_the_embedded_sqlite_database(tmp_path):
    from app import create_app
    from config import INSECURE_DEV_SECRET, TestConfig
    from extensions import db
    from jobs import coupons as coupon_jobs
    from jobs.base import enqueue
    from models import BulkIssue, CouponCode, Member, Merchant, Staff
    from services.audiences import saved
    from services.audiences.filters import Filters
    from services.campaigns import dry_run, report, runs, setup
    from services.coupons import bulk as coupon_bulk, templates as coupon_templates

    assert flask(tmp_path, "db", "upgrade").returncode == 0
    assert flask(tmp_path, "seed-demo").returncode == 0

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        SECRET_KEY = INSECURE_DEV_SECRET

    app = create_app(Config)
    with app.app_context():
        merchant = db.session.scalars(select(Merchant).limit(1)).one()
        owner = db.session.scalars(select(Staff).where(Staff.merchant_id == merchant.id, Staff.role == "owner")).first()
        members = db.session.scalar(select(func.count()).select_from(Member).where(Member.merchant_id == merchant.id,
                                                                                   Member.status == "active"))
        template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="嵌入式券", amount_off=500,
                                                  validity_mode="relative", valid_days=30, per_member_limit=1)
        bulk = coupon_bulk.start(db.session, owner, template.id, {})
        enqueue(coupon_jobs.bulk_issue, bulk.id)
        db.session.commit()  # the job runs inline after the commit
        db.session.expire_all()
        done = db.session.get(BulkIssue, bulk.id)
        assert (done.status, done.issued) == ("done", members)

        audience = saved.save(db.session, owner, None, name="嵌入式全部", filters=Filters())
        campaign = setup.save(db.session, owner, None, name="圣诞", kind="one_off", schedule={"at": "2026-12-24T10:00"},
                              audience_id=audience.id, holdout_percent=10, message={"channel": "notice"},
                              rewards={"coupons": [{"template_id": template.id, "count": 1}], "points": 50},
                              now=datetime(2026, 12, 6, tzinfo=timezone.utc))
        setup.switch_on(db.session, owner, campaign.id, now=datetime(2026, 12, 6, tzinfo=timezone.utc))
        db.session.commit()
        preview = dry_run.preview(db.session, campaign, now=datetime(2026, 12, 24, 2, tzinfo=timezone.utc))
        assert members > 0 and preview.total == members and f"{members - preview.holdout:,} 位会员" in preview.sentence
        runs.tick(db.session, datetime(2026, 12, 24, 2, 1, tzinfo=timezone.utc))
        db.session.commit()
        figures = report.of(db.session, merchant.id, campaign.id)
        # the bulk issue used each member's one allowed code, so the campaign's coupon is over the limit for all;
        # the points still go
        assert figures.targeted == members and figures.rewarded == members - figures.held_out
        assert figures.points_given == 50 * figures.rewarded
        assert db.session.scalar(select(func.count()).select_from(CouponCode)
                                 .where(CouponCode.campaign_id == campaign.id)) == 0
