"""Changes staged on rows and written together (services/shared/staged_changes.py), and the merchant row remembered
per process: the session holds what the database holds, and the unit of work has nothing left to write."""
import pytest
from sqlalchemy import event, select

from domain.errors import NotFound
from models import Member, Merchant
from services.shared import merchant_memory, staged_changes
from services.merchant import merchants
from tests.integration.shared.test_ledger_rows import member_of_new_shop, session_on  # noqa: F401


@pytest.fixture()
def statements(db):
    seen = []

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_does_writing_staged_changes_send_one_update_of_what_was_staged(db, make, statements):
    shop = make.merchant()
    member = make.member(shop)
    db.session.commit()
    member.visit_count  # loaded after the commit
    statements.clear()
    staged_changes.stage(db.session, member, visit_count=member.visit_count + 1)
    assert member.visit_count == 1 and not db.session.dirty and statements == []  # seen now, written later
    staged_changes.write_staged(db.session)
    assert len(statements) == 1 and "visit_count" in statements[0] and "points_balance" not in statements[0]
    assert not db.session.dirty
    db.session.commit()
    assert db.session.scalar(select(Member.visit_count).where(Member.id == member.id)) == 1


def test_is_a_commit_with_staged_changes_never_written_refused(db, make):
    member = make.member(make.merchant())
    db.session.commit()
    staged_changes.stage(db.session, member, visit_count=5)
    with pytest.raises(RuntimeError, match="never written"):
        db.session.commit()
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Member, member.id).visit_count == 0
    db.session.commit()  # the refused changes are forgotten with the rollback


def test_does_a_rollback_forget_staged_changes(db, make):
    member = make.member(make.merchant())
    db.session.commit()
    staged_changes.stage(db.session, member, visit_count=5)
    db.session.rollback()
    db.session.commit()
    assert db.session.get(Member, member.id).visit_count == 0


def test_is_the_merchant_remembered_across_requests_and_forgotten_when_this_process_changes_it(db, make,
                                                                                               statements):
    shop = make.merchant(name="旧名")
    db.session.commit()
    merchant_id = shop.id
    db.session.remove()
    assert merchants.remembered(db.session, merchant_id).name == "旧名"
    db.session.remove()  # the next request: a new session
    statements.clear()
    seen = statements
    remembered = merchants.remembered(db.session, merchant_id)
    assert remembered.name == "旧名" and seen == []  # no query
    assert merchants.remembered(db.session, merchant_id) is remembered  # one row per session
    remembered.name = "新名"
    db.session.commit()  # a flush that writes the merchant row forgets it in this process
    db.session.remove()
    assert merchants.remembered(db.session, merchant_id).name == "新名"
    assert db.session.get(Merchant, merchant_id).name == "新名"


def test_is_a_missing_merchant_not_found(db):
    merchant_memory.forget_all()
    with pytest.raises(NotFound):
        merchants.remembered(db.session, 999)


def test_are_several_rows_staged_changes_written_together(session_on):
    session = session_on
    member = member_of_new_shop(session)
    shop = session.get(Merchant, member.merchant_id)
    staged_changes.stage(session, member, visit_count=member.visit_count + 2)
    staged_changes.stage(session, shop, name="改名商户")
    staged_changes.stage(session, member, total_spend=300)  # a second change of a staged row joins the first
    staged_changes.write_staged(session)
    assert not session.dirty
    session.commit()
    session.expire_all()
    read = session.get(Member, member.id)
    assert (read.visit_count, read.total_spend, session.get(Merchant, shop.id).name) == (2, 300, "改名商户")


def test_does_a_savepoint_between_staging_and_writing_keep_the_staged_changes(db, make):
    """A savepoint released (a notice recorded under one) is not the commit: what was staged is still written."""
    member = make.member(make.merchant())
    db.session.commit()
    staged_changes.stage(db.session, member, visit_count=3)
    with db.session.begin_nested():
        make.store(db.session.get(Merchant, member.merchant_id))
    with pytest.raises(ValueError):
        with db.session.begin_nested():
            staged_changes.stage(db.session, member, total_spend=10)
            raise ValueError("undone to the savepoint")
    staged_changes.write_staged(db.session)
    db.session.commit()
    assert db.session.scalar(select(Member.visit_count).where(Member.id == member.id)) == 3
