"""Balance, points and level carried to the member card in WeChat's card package: each change marks the member in
its own transaction; the push sends the totals as they are then (the sandbox's card/membercard/updateuser over
HTTP), many changes in one call; a change during the call is pushed after it; failures are tried again later; a
card the user deleted stops being pushed; other merchants' members are not touched."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import roles
from domain.clock import now_utc
from models import Member, SandboxCard, SandboxCardCode, WechatCardHolding
from sandbox import wechat_card_store as store, wechat_state as sbx
from services.card_push import pending, push
from services.issuance import points as bulk_points
from services.members import levels
from services.points import ledger as points
from services.wallet import journal as wallet
from services.wechat_cards import activation, events as card_events, face, sync
from tests.connection_budget import many_connections
from tests.integration.card_push.support import pending_rows, push_all

SECRET = "0123456789abcdef0123456789abcdef"


def open_shop(make, db, slug, app_id):
    merchant = make.merchant(slug=slug, name=f"{slug}店")
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = app_id, SECRET, "tok"
    card = face.save(db.session, make.staff(merchant, role=roles.OWNER), merchant, **face.defaults(merchant))
    db.session.commit()  # the sandbox (another thread, its own session) knows the official account by now
    assert sync.sync(db.session, merchant) is True, card.sync_error
    db.session.commit()
    return merchant


def member_with_card(make, db, merchant, principal=0):
    """A member whose card was added to their package and activated; (member, wallet, sandbox code row)."""
    member = make.member(merchant)
    purse = make.wallet(merchant, member, principal=principal)
    person = sbx.create_wechat_user(db.session, merchant.wechat_app_id, "会员")
    card_id = card_id_of(db, merchant)
    code = store.add_to_package(db.session, merchant.wechat_app_id, card_id, person.user_key)
    db.session.commit()  # WeChat's side (the sandbox serving the app's calls) holds the code now
    holding, _ = card_events.record(db.session, merchant, card_id, code.code, person.user_key)
    activation.activate(db.session, merchant, holding, member)
    db.session.commit()
    return member, purse, code.code


def card_id_of(db, merchant):
    from models import WechatMemberCard
    return db.session.scalar(select(WechatMemberCard.card_id).where(WechatMemberCard.merchant_id == merchant.id))


def on_card(db, code):
    db.session.expire_all()
    return db.session.scalars(select(SandboxCardCode).where(SandboxCardCode.code == code)).one()


@pytest.fixture()
def shop(make, db, live_server):
    return open_shop(make, db, "tea", "wxcardpush000001")


def test_are_a_payments_balance_points_and_level_shown_on_the_card_after_one_push(shop, make, db):
    member, purse, code = member_with_card(make, db, shop, principal=10_000)
    activated = on_card(db, code)
    assert (activated.balance, activated.bonus, activated.fields) == (10_000, 0, {"1": "普通"})
    assert [row.member_id for row in pending_rows(db)] == [member.id]  # the activation marks its member too
    push_all(db)
    before = on_card(db, code).updates

    wallet.debit(db.session, shop.id, purse.id, 2_500, key="pay:1")
    points.earn(db.session, shop, member.id, 25, key="earn:1")
    gold = next(level for level in levels.list_levels(db.session, shop.id) if level.name == "金卡")
    levels.set_level_manually(db.session, make.staff(shop), member, gold.id, "大客户")
    db.session.commit()
    [row] = pending_rows(db)
    assert (row.merchant_id, row.member_id, row.changes) == (shop.id, member.id, 1)  # one mark per transaction

    assert push_all(db) == {"pushed": 1, "failed": 0, "changed": 0}
    card = on_card(db, code)
    assert (card.balance, card.bonus, card.fields["1"], card.updates) == (7_500, 25, "金卡", before + 1)
    assert pending_rows(db) == []


def test_is_a_member_without_an_activated_card_never_queued(shop, make, db):
    member = make.member(shop)
    purse = make.wallet(shop, member, principal=5_000)
    points.earn(db.session, shop, member.id, 10, key="earn:none")
    wallet.debit(db.session, shop.id, purse.id, 100, key="pay:none")
    db.session.commit()
    assert pending_rows(db) == []


def test_do_bulk_points_mark_every_card_holder_given_points(shop, make, db):
    holder, _, code = member_with_card(make, db, shop)
    push_all(db)
    others = [make.member(shop).id for _ in range(3)]
    db.session.commit()
    given = bulk_points.earn(db.session, shop, [holder.id, *others], 50, prefix="gift:", note="节日赠送",
                             reference=("campaign", 1), now=now_utc())
    db.session.commit()
    assert sorted(given) == sorted([holder.id, *others])
    assert [row.member_id for row in pending_rows(db)] == [holder.id]
    push_all(db)
    assert on_card(db, code).bonus == 50


def test_is_a_change_made_during_the_call_pushed_after_it(shop, make, db):
    member, purse, code = member_with_card(make, db, shop, principal=10_000)
    push_all(db)
    wallet.debit(db.session, shop.id, purse.id, 1_000, key="pay:a")
    db.session.commit()
    claimed = push.claim(db.session, shop.id, now_utc())
    assert claimed == {member.id: 1}
    wallet.debit(db.session, shop.id, purse.id, 1_000, key="pay:b")  # lands while WeChat is being called
    db.session.commit()
    outcome = push.push_claimed(db.session, shop, claimed)
    db.session.commit()
    assert outcome == {"pushed": 0, "failed": 0, "changed": 1}
    [row] = pending_rows(db)
    assert row.claimed_until is None and row.next_try_at > now_utc()  # settles before the next call
    assert push_all(db) == {"pushed": 0, "failed": 0, "changed": 0}  # not due yet
    push_all(db, now=now_utc() + push.SETTLE + timedelta(seconds=1))
    assert on_card(db, code).balance == 8_000 and pending_rows(db) == []


def test_is_a_failed_push_kept_with_wechats_words_and_tried_again_later(shop, make, db, app):
    member, purse, code = member_with_card(make, db, shop, principal=10_000)
    push_all(db)
    wallet.debit(db.session, shop.id, purse.id, 3_000, key="pay:down")
    db.session.commit()
    saved = app.config["WECHAT_API_BASE"]
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9/"  # nothing listens: WeChat unreachable
    try:
        assert push_all(db)["failed"] == 1
    finally:
        app.config["WECHAT_API_BASE"] = saved
    [row] = pending_rows(db)
    assert (row.attempts, row.last_error, row.claimed_until) == (1, "无法连接微信服务器", None)
    assert row.next_try_at >= now_utc() + timedelta(seconds=push.RETRY_AFTER[0] - 2)
    assert push_all(db)["pushed"] == 0 and on_card(db, code).balance == 10_000  # waits for its time
    assert push_all(db, now=now_utc() + timedelta(seconds=push.RETRY_AFTER[0] + 1))["pushed"] == 1
    assert on_card(db, code).balance == 7_000 and pending_rows(db) == []


def test_does_a_card_deleted_in_wechat_stop_being_pushed(shop, make, db):
    member, purse, code = member_with_card(make, db, shop, principal=1_000)
    push_all(db)
    on_card(db, code).state = "deleted"  # the user deleted it and the event has not come
    wallet.debit(db.session, shop.id, purse.id, 100, key="pay:gone")
    db.session.commit()
    assert push_all(db) == {"pushed": 1, "failed": 0, "changed": 0}
    holding = db.session.scalars(select(WechatCardHolding).where(WechatCardHolding.code == code)).one()
    assert holding.state == "deleted" and pending_rows(db) == []
    wallet.debit(db.session, shop.id, purse.id, 100, key="pay:after")
    db.session.commit()
    assert pending_rows(db) == []


def test_does_a_push_for_one_merchant_leave_anothers_members_alone(shop, make, db):
    other = open_shop(make, db, "cafe", "wxcardpush000002")
    ours, our_purse, our_code = member_with_card(make, db, shop, principal=1_000)
    theirs, their_purse, their_code = member_with_card(make, db, other, principal=1_000)
    push_all(db)
    wallet.debit(db.session, shop.id, our_purse.id, 100, key="pay:ours")
    wallet.debit(db.session, other.id, their_purse.id, 200, key="pay:theirs")
    db.session.commit()
    counts = push.push_merchant(db.session, shop, time.monotonic() + 30)
    db.session.commit()
    assert counts["pushed"] == 1
    assert on_card(db, our_code).balance == 900 and on_card(db, their_code).balance == 1_000
    assert [(row.merchant_id, row.member_id) for row in pending_rows(db)] == [(other.id, theirs.id)]
    # a mark naming a member under another merchant's id finds no card of that merchant: nothing is queued
    pending.member_changed(db.session, shop.id, theirs.id)
    db.session.commit()
    assert len(pending_rows(db, shop.id)) == 0


def test_do_a_hundred_balance_changes_in_a_second_end_on_the_card_in_far_fewer_calls(shop, make, db, app):
    """Two pushers run all the time (stricter than the 2-second schedule) while one member's balance changes 100
    times in about a second: the card ends with the final balance and WeChat was called a few times."""
    member, purse, code = member_with_card(make, db, shop, principal=100_000)
    push_all(db)
    calls_before = on_card(db, code).updates
    merchant_id, wallet_id = shop.id, purse.id
    db.session.remove()
    stop = threading.Event()
    crashes = []

    def pusher():
        with app.app_context():
            from extensions import db as database
            try:
                while not stop.is_set():
                    push.push_everywhere(database.session, 5)
                    database.session.commit()
                    time.sleep(0.05)
            except Exception as exc:  # noqa: BLE001 - reported below
                crashes.append(exc)
            finally:
                database.session.remove()

    with many_connections(count=8):
        threads = [threading.Thread(target=pusher) for _ in range(2)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        for n in range(100):
            wallet.debit(db.session, merchant_id, wallet_id, 7, key=f"storm:{n}")
            db.session.commit()
            time.sleep(max(0.0, started + (n + 1) / 100 - time.monotonic()))
        storm_seconds = time.monotonic() - started
        deadline = time.monotonic() + 15
        while pending_rows(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not crashes, crashes
    assert storm_seconds < 2.5
    card = on_card(db, code)
    calls = card.updates - calls_before
    assert card.balance == 100_000 - 700 and pending_rows(db) == []
    assert 1 <= calls <= 10, calls
    print(f"100 changes in {storm_seconds:.2f}s: {calls} updateuser calls")


def test_is_the_level_field_on_the_card_in_wechat(shop, db):
    payload = db.session.scalars(select(SandboxCard).where(SandboxCard.card_id == card_id_of(db, shop))).one().payload
    assert payload["custom_field1"]["name_type"] == "FIELD_NAME_TYPE_LEVEL"
    assert payload["custom_field1"]["url"].endswith("/tea/member/level")


def test_is_a_long_level_name_cut_to_what_wechat_takes(shop, make, db):
    member, _, code = member_with_card(make, db, shop)
    owner = make.staff(shop)
    long = levels.save_level(db.session, owner, None, rank=9, name="至尊黑金钻石会员", discount_percent=80)
    levels.set_level_manually(db.session, owner, db.session.get(Member, member.id), long.id, "升级")
    db.session.commit()
    push_all(db)
    assert on_card(db, code).fields["1"] == "至尊黑金钻…"
