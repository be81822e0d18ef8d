"""Command-line entry points: `flask seed-demo`, `create-merchant`, `create-staff`, `expire-points`,
`start-due-sends`, `rebuild-reports`, `run-scheduler`, `rotate-credentials` and `worker`."""
from datetime import date

import click
from flask import current_app
from redis import Redis

from demo import data as demo_data
from domain import roles
from domain.errors import DomainError
from extensions import db
from jobs import dispatch, schedule, worker
from jobs.base import QUEUES
from jobs import campaigns as campaign_jobs, reports as report_jobs, sends as send_jobs
from jobs.points import expire_points_everywhere
from services.merchant import merchants, staff
from services.reports import catalogue as report_catalogue
from services.shared import credential_keys


def _fail_on_domain_error(fn):
    def run(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None

    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


def register(app):
    @app.cli.command("seed-demo")
    @_fail_on_domain_error
    def seed_demo():
        """Load the demo merchant (does nothing if it is there already)."""
        merchant, created = demo_data.load(db.session)
        click.echo(f"demo merchant '{merchant.slug}' " + ("created" if created else "already present"))

    @app.cli.command("create-merchant")
    @click.option("--slug", required=True, help="merchant code used at login, e.g. mycafe")
    @click.option("--name", required=True)
    @click.option("--timezone", default="Asia/Shanghai", show_default=True)
    @_fail_on_domain_error
    def create_merchant(slug, name, timezone):
        """Create a merchant (tenant)."""
        merchant = merchants.create_merchant(db.session, slug, name, timezone)
        click.echo(f"merchant {merchant.slug} created (id {merchant.id})")

    @app.cli.command("create-staff")
    @click.option("--merchant", "merchant_slug", required=True)
    @click.option("--username", required=True)
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(roles.ALL_ROLES), required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--store", "store_ids", multiple=True, type=int, help="store id (repeat for several)")
    @_fail_on_domain_error
    def create_staff(merchant_slug, username, name, role, password, store_ids):
        """Create a staff account for a merchant."""
        merchant = merchants.by_slug(db.session, merchant_slug)
        member = staff.create_staff(db.session, merchant.id, username=username, name=name, role=role,
                                    password=password, store_ids=store_ids)
        click.echo(f"staff {member.username} ({member.role_label}) created for {merchant.slug}")

    @app.cli.command("expire-points")
    def expire_points():
        """Expire due points lots for every merchant now (the scheduler also does this hourly)."""
        dispatch.execute(expire_points_everywhere.job_name)
        click.echo("points expiry dispatched")

    @app.cli.command("start-due-sends")
    def start_due_sends():
        """Start scheduled sends that are due and wake those that waited out SMS quiet hours (the scheduler does
        this every minute; without Redis, run this from cron every minute)."""
        started = dispatch.execute(send_jobs.start_due_sends.job_name)
        click.echo(f"{started} sends started")

    @app.cli.command("run-campaigns")
    def run_campaigns():
        """Evaluate every live campaign now: due occasions become runs and are given out (the scheduler does this
        every minute; without Redis, run this from cron every minute)."""
        started = dispatch.execute(campaign_jobs.evaluate_campaigns.job_name)
        click.echo(f"{started} campaign runs started")

    @app.cli.command("rebuild-reports")
    @click.argument("merchant_slug")
    @click.option("--start", "start", required=True, help="first day, YYYY-MM-DD (the merchant's timezone)")
    @click.option("--end", "end", default=None, help="last day (default: the first)")
    @click.option("--family", "families", multiple=True, help="only these report families (default: all)")
    @_fail_on_domain_error
    def rebuild_reports(merchant_slug, start, end, families):
        """Rebuild the report rollups of any days from the raw tables (the scheduler does yesterday's every night)."""
        merchant = merchants.by_slug(db.session, merchant_slug)
        first, last = _day_option(start), _day_option(end or start)
        if last < first:
            raise click.ClickException("--end is before --start")
        if (last - first).days > 3660:
            raise click.ClickException("at most ten years at a time")
        unknown = [name for name in families if name not in {f.name for f in report_catalogue.all_families()}]
        if unknown:
            raise click.ClickException(f"unknown report family: {', '.join(unknown)}")
        built = report_jobs.rebuild_days(db.session, merchant, first, last, list(families) or None)
        click.echo(f"{built} report days rebuilt for {merchant.slug}")

    @app.cli.command("run-scheduler")
    def run_scheduler():
        """Enqueue periodic jobs on RQ (needs REDIS_URL). Several schedulers may run: each period runs once."""
        url = current_app.config.get("REDIS_URL")
        if not url:
            raise click.ClickException("REDIS_URL is not set: without Redis, run `flask expire-points` from cron")
        schedule.run_forever(Redis.from_url(url))

    @app.cli.command("rotate-credentials")
    def rotate_credentials():
        """Re-encrypt every stored secret with the newest of CREDENTIALS_KEYS (run after putting a new key first;
        then the old key can be removed). Commits per chunk: safe to stop and run again."""
        tally = credential_keys.Tally()
        for _table in credential_keys.rotate_in_chunks(db.session, tally):
            db.session.commit()
        for table in sorted(set(tally.rewritten) | set(tally.current)):
            click.echo(f"{table}: {tally.rewritten.get(table, 0)} re-encrypted, "
                       f"{tally.current.get(table, 0)} already under the newest key")
        click.echo("every stored secret is under the newest key: older keys can be removed from CREDENTIALS_KEYS")

    @app.cli.command("worker")
    @click.option("--queue", "queues", multiple=True, type=click.Choice(QUEUES),
                  help="a queue to work (repeat for several; default: all)")
    @click.option("--burst", is_flag=True, help="stop when the queues are empty")
    def run_worker(queues, burst):
        """Work the RQ queues (needs REDIS_URL), inside this application: it is built once, here."""
        url = current_app.config.get("REDIS_URL")
        if not url:
            raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inline in the web process")
        worker.run(url, queues or QUEUES, burst=burst)


def _day_option(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.ClickException(f"not a date (YYYY-MM-DD): {text}") from None
