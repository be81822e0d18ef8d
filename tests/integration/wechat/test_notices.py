"""Template notices: recorded once per ledger change, sent through the sandbox by a job; failures recorded, retried."""
import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from jobs import dispatch
from jobs.notices import NoticeSendFailed, send_notice
from models import Member, NoticeDelivery, PointsTransaction, SandboxOutbox
from services.members import levels, members
from services.wechat import notices
from services.points import ledger as points
from services.wallet import journal as wallet
from tests.web.member_h5.test_h5_support import provision

TEMPLATES = {"points_changed": "TPL-POINTS", "balance_changed": "TPL-BALANCE", "level_up": "TPL-LEVEL"}
OPENID = "o-notice-member-0000000000001"


@pytest.fixture()
def shop(make, db):
    return provision(db, make.merchant(name="通知测试店"), template_ids=dict(TEMPLATES))


@pytest.fixture()
def member(make, db, shop):
    person = make.member(shop, mobile="13600000001")
    members.bind_identity(db.session, person, "wechat_openid", OPENID, shop.wechat_app_id)
    db.session.commit()
    return person


def _deliveries(db, member_id=None):
    db.session.expire_all()
    query = select(NoticeDelivery).order_by(NoticeDelivery.id)
    if member_id is not None:
        query = query.where(NoticeDelivery.member_id == member_id)
    return db.session.scalars(query).all()


def _templates_sent(db, openid=OPENID):
    db.session.expire_all()
    return db.session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "template",
                                                          SandboxOutbox.recipient == openid)
                              .order_by(SandboxOutbox.id)).all()


def test_does_a_points_change_send_a_template_notice_to_the_members_openid(db, shop, member):
    points.earn(db.session, shop, member.id, 50, key="order:1", reason="消费积分")
    db.session.commit()  # the send runs after the commit (inline here; on RQ in production)
    [delivery] = _deliveries(db)
    assert (delivery.kind, delivery.status, delivery.attempts, delivery.openid) == ("points_changed", "sent", 1, OPENID)
    assert delivery.sent_at is not None and delivery.last_error is None
    [sent] = _templates_sent(db)
    assert sent.app_id == shop.wechat_app_id
    assert sent.payload["template_id"] == "TPL-POINTS"
    assert sent.payload["data"]["keyword1"]["value"] == "+50 积分"
    assert sent.payload["data"]["keyword2"]["value"] == "50 积分"
    assert sent.payload["data"]["keyword3"]["value"] == "消费积分"
    assert sent.payload["url"].endswith(f"/h5/{shop.slug}/member/points")


def test_does_a_replayed_ledger_call_notify_only_once(db, shop, member):
    for _ in range(3):
        points.earn(db.session, shop, member.id, 50, key="order:2")
        db.session.commit()
    assert len(_deliveries(db)) == 1
    assert len(_templates_sent(db)) == 1


def test_is_the_idempotency_key_of_a_notice_derived_from_the_ledger_row(db, shop, member):
    txn = points.earn(db.session, shop, member.id, 10, key="order:3")
    db.session.commit()
    assert _deliveries(db)[0].idempotency_key == f"points:{txn.id}"
    assert notices.points_changed(db.session, shop, txn) is None  # a second hook call records nothing


def test_does_spending_points_notify_too(db, shop, member):
    points.earn(db.session, shop, member.id, 80, key="order:4")
    points.spend(db.session, shop, member.id, 30, key="redeem:4", reason="积分兑换")
    db.session.commit()
    spent = [d for d in _deliveries(db) if d.payload["amount"] == -30]
    assert spent and spent[0].status == "sent"
    assert _templates_sent(db)[-1].payload["data"]["keyword1"]["value"] == "-30 积分"


def test_does_a_balance_change_notify_with_the_amount_in_yuan(db, shop, member):
    purse = wallet.member_wallet(db.session, shop.id, member.id)
    wallet.credit(db.session, shop.id, purse.id, 10000, 1000, key="topup:1", note="充值")
    db.session.commit()
    [delivery] = _deliveries(db)
    assert delivery.kind == "balance_changed" and delivery.status == "sent"
    data = _templates_sent(db)[0].payload["data"]
    assert data["keyword1"]["value"] == "+¥110.00" and data["keyword2"]["value"] == "¥110.00"


def test_does_freezing_a_wallet_notify_nothing(db, shop, member):
    purse = wallet.member_wallet(db.session, shop.id, member.id)
    wallet.set_frozen(db.session, shop.id, purse.id, True, key="freeze:1")
    db.session.commit()
    assert _deliveries(db) == []


def test_does_a_level_up_notify_but_joining_the_base_level_does_not(db, shop, member):
    assert _deliveries(db) == []  # the member joined at the base level when created
    member.total_spend = 100000
    levels.apply_upgrade(db.session, member)
    db.session.commit()
    [delivery] = _deliveries(db)
    assert delivery.kind == "level_up" and delivery.status == "sent"
    assert _templates_sent(db)[0].payload["data"]["keyword1"]["value"] == "银卡"


def test_is_each_notice_switchable_off_per_merchant(db, shop, member):
    from services.wechat.settings import settings_for

    settings = settings_for(db.session, shop.id)
    settings.notify_points = False
    db.session.commit()
    points.earn(db.session, shop, member.id, 5, key="order:5")
    purse = wallet.member_wallet(db.session, shop.id, member.id)
    wallet.credit(db.session, shop.id, purse.id, 100, key="topup:5")
    db.session.commit()
    assert [d.kind for d in _deliveries(db)] == ["balance_changed"]


def test_is_a_member_without_a_wechat_openid_not_notified(make, db, shop):
    alipay_only = make.member(shop, mobile="13600000002")
    members.bind_identity(db.session, alipay_only, "alipay_user_id", "2088000000000002")
    points.earn(db.session, shop, alipay_only.id, 5, key="order:6")
    db.session.commit()
    assert _deliveries(db) == []


def test_is_a_notice_without_a_template_id_skipped_with_the_reason(db, shop, member):
    from services.wechat.settings import settings_for

    settings_for(db.session, shop.id).template_ids = {"balance_changed": "TPL-BALANCE"}
    db.session.commit()
    points.earn(db.session, shop, member.id, 5, key="order:7")
    db.session.commit()
    [delivery] = _deliveries(db)
    assert delivery.status == "skipped" and "模板 ID" in delivery.last_error
    assert _templates_sent(db) == []


@pytest.fixture()
def wechat_down(app):
    """WeChat unreachable: the API base points at a port where nothing listens."""
    saved = app.config["WECHAT_API_BASE"]
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9/"
    yield
    app.config["WECHAT_API_BASE"] = saved


def test_is_a_failing_send_recorded_without_breaking_the_points_change(db, shop, member, wechat_down):
    txn = points.earn(db.session, shop, member.id, 20, key="order:8")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PointsTransaction, txn.id) is not None
    assert db.session.get(Member, member.id).points_balance == 20
    [delivery] = _deliveries(db)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "Connection" in delivery.last_error
    assert _templates_sent(db) == []


def test_does_the_job_reraise_a_failure_after_recording_it_so_rq_retries(app, db, shop, member, wechat_down):
    assert send_notice.queue == "notices" and send_notice.retries == (10, 60, 300)
    points.earn(db.session, shop, member.id, 20, key="order:9")
    db.session.commit()
    [delivery] = _deliveries(db)
    with pytest.raises(NoticeSendFailed):
        dispatch.execute(send_notice.job_name, delivery.id)
    failed = _deliveries(db)[0]
    assert failed.status == "failed" and failed.attempts == 2


def test_on_rq_is_a_failed_send_retried_with_backoff_and_then_sent(app, db, make, redis_url):
    shop = provision(db, make.merchant(name="RQ 通知店"), template_ids=dict(TEMPLATES))
    person = make.member(shop, mobile="13600000003")
    members.bind_identity(db.session, person, "wechat_openid", OPENID, shop.wechat_app_id)
    db.session.commit()
    api_base = app.config["WECHAT_API_BASE"]
    app.config.update(REDIS_URL=redis_url, WECHAT_API_BASE="http://127.0.0.1:9/")
    try:
        connection = Redis.from_url(redis_url)
        queue = Queue("notices", connection=connection)
        points.earn(db.session, shop, person.id, 20, key="order:rq")
        db.session.commit()
        assert queue.count == 1
        job = queue.jobs[0]
        SimpleWorker([queue], connection=connection).work(burst=True)
        job.refresh()
        assert job.get_status() == "scheduled" and job.retries_left == 2
        assert job.retry_intervals == [10, 60, 300]
        [delivery] = _deliveries(db)
        assert delivery.status == "failed" and delivery.attempts == 1

        app.config["WECHAT_API_BASE"] = api_base  # WeChat is back
        dispatch.execute(send_notice.job_name, delivery.id)  # what the retry runs
        [delivery] = _deliveries(db)
        assert delivery.status == "sent" and delivery.attempts == 2 and delivery.last_error is None
    finally:
        app.config.update(REDIS_URL="", WECHAT_API_BASE=api_base)


def test_is_a_sent_notice_never_sent_twice_by_a_rerun_job(db, shop, member):
    points.earn(db.session, shop, member.id, 5, key="order:10")
    db.session.commit()
    [delivery] = _deliveries(db)
    dispatch.execute(send_notice.job_name, delivery.id)
    assert len(_templates_sent(db)) == 1
