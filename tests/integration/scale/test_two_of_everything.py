"""Two web processes (gunicorn) and two RQ workers (`flask worker`) on one PostgreSQL and one Redis, configured as in
README "Production": what must happen once happens once, whichever process a request or a job lands on.

- Tills verify the same coupon codes through both web processes at once: each code is verified exactly once.
- A till retries one payment (one Idempotency-Key) through both at once: one checkout, the balance debited once;
  other payments alongside are each taken once.
- Both web processes (the staff page's WeChat JS-SDK config) and both workers (a fan's profile job) ask for the
  merchant's WeChat access token at once: the sandbox's token endpoint issues one per expiry, not one per process.
- A staff member signed in through one process is signed in on the other: no session lives in a process.
"""
import re
import threading
import time

import pytest
import requests
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select, text

from domain import roles
from models import Checkout, CouponCode, Verification
from sandbox import wechat_state as sbx
from services.coupons import issue as coupon_issue, templates as coupon_templates
from services.merchant import api_keys
from services.wallet import journal as wallet
from tests.connection_budget import many_connections
from tests.factories import PASSWORD
from tests.integration.scale import processes
from tests.integration.scale.tenancy_checks import links_across_merchants

pytestmark = pytest.mark.timeout(120)

SECRET_KEY = "test-secret-key"  # TestConfig's: the processes decrypt the credentials this test's app stored
APP_ID, APP_SECRET = "wxscale000000001", "0123456789abcdef0123456789abcdef"
CODES, TRIES_PER_CODE = 10, 6
BALANCE, PRICE = 100_000, 3_000
RETRIES_OF_ONE_SALE, OTHER_SALES = 16, 8
TOKEN_ASKS_PER_PROCESS = 4
FAN_JOB = "jobs.wechat.sync_fan_profile"


@pytest.fixture()
def _connection_turn():
    """Four processes with pools of their own, racing: their turn among the suite's processes' heaviest tests."""
    with many_connections():
        yield


@pytest.fixture()
def shop(db, make):
    """Merchant A (its till key, codes, a member with money, an official account) and merchant B (its own key)."""
    merchant = make.merchant(slug="scale-a", name="双机测试", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = APP_ID, APP_SECRET, "tok-scale"
    store = make.store(merchant, "总店")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减10", amount_off=1000,
                                              validity_mode="relative", valid_days=30)
    codes = [coupon_issue.claim(db.session, merchant, template.id, make.member(merchant).id, channel="h5",
                                key=f"scale:{n}", notify=False).code for n in range(CODES)]
    payer = make.member(merchant)
    purse = wallet.member_wallet(db.session, merchant.id, payer.id)
    wallet.credit(db.session, merchant.id, purse.id, BALANCE, key="scale:topup")
    fan = sbx.create_wechat_user(db.session, APP_ID, "小张")
    key = api_keys.create(db.session, owner, name="前台").plaintext

    other = make.merchant(slug="scale-b", name="隔壁")
    other_store = make.store(other, "隔壁店")
    other_key = api_keys.create(db.session, make.staff(other, role=roles.OWNER, username="boss"), name="隔壁前台").plaintext
    db.session.commit()
    return {"merchant_id": merchant.id, "store": store.id, "codes": codes, "payer": payer.id, "purse": purse,
            "openid": fan.user_key, "key": key, "other_key": other_key, "other_store": other_store.id}


@pytest.fixture()
def cluster(db, database_url, redis_url, _connection_turn):
    """Two gunicorn processes and two RQ workers, stopped (with their children) whatever the test did."""
    # The suite's own pool may hold dozens of idle connections after the concurrency tests; the processes below
    # need their own within PostgreSQL's max_connections. The session gives its connection back first (reading the
    # fixtures' ids began a transaction): one still checked out would return to the discarded pool and stay open.
    db.session.commit()
    db.engine.dispose()
    ports = [processes.free_port(), processes.free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    env = processes.environment(database_url, redis_url, bases[0], SECRET_KEY)  # A serves the WeChat sandbox
    started = []
    try:
        started += [processes.start_web(f"web{n}", port, env) for n, port in enumerate(ports)]
        started += [processes.start_worker(f"worker{n}", env) for n in range(2)]
        for process, base in zip(started, bases):
            processes.wait_until_answering(process, base)
        redis = Redis.from_url(redis_url)
        processes.wait_for_workers(redis, 2, processes=started[2:])
        yield {"bases": bases, "redis": redis, "processes": started}
    finally:
        processes.stop_all(started)


def at_once(calls):
    """Run each call on its own thread, all released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def what_went_on(db, cluster):
    """For a failure's message: what the web processes logged, and the server's connections at that moment (a
    5xx from both processes at once has been the server refusing connections while other tests held them)."""
    db.session.rollback()
    connections = db.session.execute(text(
        "SELECT datname, state, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
        "GROUP BY 1, 2 ORDER BY 3 DESC")).all()
    return "\n".join([f"connections: {connections}"] + [p.output() for p in cluster["processes"][:2]])


def api_post(base, key, path, body, request_key):
    def call():
        answer = requests.post(f"{base}/api/v1/{path}", json=body, timeout=30, headers={
            "Authorization": f"Bearer {key}", "Idempotency-Key": request_key})
        return answer.status_code, answer.json()
    return call


def test_do_two_web_processes_verify_each_code_and_take_each_payment_exactly_once(db, shop, cluster):
    a, b = cluster["bases"]
    calls, expected = [], []
    for n, code in enumerate(shop["codes"]):
        for attempt in range(TRIES_PER_CODE):
            calls.append(api_post((a, b)[attempt % 2], shop["key"], "verifications",
                                  {"code": code, "store_id": shop["store"]}, f"till-{n}-{attempt}"))
            expected.append(("verify", code))
    for attempt in range(2):  # another merchant's till typing A's code finds nothing, on either process
        calls.append(api_post((a, b)[attempt], shop["other_key"], "verifications",
                              {"code": shop["codes"][0], "store_id": shop["other_store"]}, f"other-{attempt}"))
        expected.append(("other", None))
    sale = {"store_id": shop["store"], "member_id": shop["payer"], "amount": PRICE, "tender": "balance"}
    for attempt in range(RETRIES_OF_ONE_SALE):
        calls.append(api_post((a, b)[attempt % 2], shop["key"], "checkout/pay", sale, "sale-1"))
        expected.append(("retry", None))
    for n in range(OTHER_SALES):
        calls.append(api_post((a, b)[n % 2], shop["key"], "checkout/pay", sale, f"sale-other-{n}"))
        expected.append(("sale", None))

    results = at_once(calls)

    verified = {}
    for (kind, code), (status, body) in zip(expected, results):
        if kind == "verify":
            assert status in (201, 409), (status, body, what_went_on(db, cluster))
            verified.setdefault(code, []).append(status)
        elif kind == "other":
            assert status == 404, (status, body)
    assert all(sorted(statuses) == [201] + [409] * (TRIES_PER_CODE - 1) for statuses in verified.values()), verified
    retries = [(status, body) for (kind, _), (status, body) in zip(expected, results) if kind == "retry"]
    assert sorted(status for status, _ in retries) == [200] * (RETRIES_OF_ONE_SALE - 1) + [201], retries
    assert len({body["id"] for _, body in retries}) == 1
    others = [(status, body) for (kind, _), (status, body) in zip(expected, results) if kind == "sale"]
    assert [status for status, _ in others] == [201] * OTHER_SALES, others

    db.session.expire_all()
    assert db.session.scalar(select(func.count(Verification.id))) == CODES
    states = db.session.scalars(select(CouponCode.state).where(CouponCode.code.in_(shop["codes"]))).all()
    assert states == ["used"] * CODES
    assert db.session.scalar(select(func.count(Checkout.id))) == 1 + OTHER_SALES
    charged = db.session.scalar(select(func.sum(Checkout.pay)))
    assert charged == PRICE * (1 + OTHER_SALES)
    db.session.refresh(shop["purse"])
    assert shop["purse"].principal + shop["purse"].bonus == BALANCE - charged
    assert links_across_merchants(db.session.connection()) == {}


def staff_cookies(base, explain=lambda: ""):
    """Sign in on the staff page through one process (with its CSRF token, as a browser does)."""
    browser = requests.Session()
    page = browser.get(f"{base}/staff/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = browser.post(f"{base}/staff/login", timeout=10, data={
        "csrf_token": token, "merchant": "scale-a", "username": "boss", "password": PASSWORD})
    assert answer.status_code == 200 and "/staff/login" not in answer.url, (answer.url, explain())
    return browser.cookies


def jssdk_config(base, cookies):
    def call():
        answer = requests.get(f"{base}/staff/jssdk-config", cookies=cookies, timeout=30, allow_redirects=False,
                              params={"url": f"{base}/staff/verify"})
        return answer.status_code, answer.json()
    return call


def issued(db, kind):
    db.session.rollback()  # a fresh snapshot: the sandbox (web process A) committed the grants
    return sbx.count_issued(db.session, kind, APP_ID)


def ask_everyone_for_the_token(cluster, shop, cookies, round_no):
    """Both web processes and both workers need the token at the same moment; every one of them gets an answer."""
    queue = Queue("default", connection=cluster["redis"])
    jobs = []

    def enqueue(n):
        def call():
            jobs.append(queue.enqueue("jobs.dispatch.execute", FAN_JOB, shop["merchant_id"], shop["openid"],
                                      job_id=f"fan-{round_no}-{n}"))
            return None
        return call

    calls = [jssdk_config(base, cookies) for base in cluster["bases"] for _ in range(TOKEN_ASKS_PER_PROCESS)]
    calls += [enqueue(n) for n in range(TOKEN_ASKS_PER_PROCESS)]
    answers = [answer for answer in at_once(calls) if answer is not None]
    assert len(jobs) == TOKEN_ASKS_PER_PROCESS and len(answers) == 2 * TOKEN_ASKS_PER_PROCESS, answers
    assert all(status == 200 and body["signature"] for status, body in answers), answers
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(job.get_status(refresh=True) in ("finished", "failed")
                                                   for job in jobs):
        time.sleep(0.1)
    statuses = [Job.fetch(job.id, connection=cluster["redis"]).get_status() for job in jobs]
    workers = {Job.fetch(job.id, connection=cluster["redis"]).worker_name for job in jobs}
    logs = "\n".join(p.output() for p in cluster["processes"][2:])
    assert statuses == ["finished"] * len(jobs), logs
    return workers


def forget_tokens(redis):
    """What the token's and the ticket's expiry does to shared storage (channels/tokens.py keeps them there)."""
    keys = list(redis.scan_iter("tokens:*"))
    assert keys, "no token in Redis: the processes do not share their tokens"
    redis.delete(*keys)


def test_is_the_wechat_token_fetched_once_per_expiry_across_all_processes(db, shop, cluster):
    cookies = staff_cookies(cluster["bases"][0], lambda: what_went_on(db, cluster))
    assert jssdk_config(cluster["bases"][1], cookies)()[0] == 200  # signed in through A, known to B
    forget_tokens(cluster["redis"])  # the token and ticket that call fetched expire: the count starts here
    before = issued(db, "access_token"), issued(db, "jsapi_ticket")

    first = ask_everyone_for_the_token(cluster, shop, cookies, 1)
    assert (issued(db, "access_token"), issued(db, "jsapi_ticket")) == (before[0] + 1, before[1] + 1)

    forget_tokens(cluster["redis"])  # both expire: the next callers must fetch again
    second = ask_everyone_for_the_token(cluster, shop, cookies, 2)
    assert (issued(db, "access_token"), issued(db, "jsapi_ticket")) == (before[0] + 2, before[1] + 2)
    assert len(first | second) == 2, "both workers should have taken some of the jobs"
