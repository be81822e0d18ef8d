"""Guides (专属导购): a member who joins through a guide's code is that guide's (first touch; a later scan moves
them only when the merchant allows it), two binds at once leave one guide and one history row, the back office
reassigns one member or many with a reason, and only this merchant's active guides can be chosen."""
import pytest
from sqlalchemy import func, select

from domain import roles
from domain.errors import DomainError, NotFound, PermissionDenied
from models import AuditLog, GuideChange, Member, Merchant, RecruitSettings
from services.audiences.filters import Filters
from services.members import join as member_join
from services.recruitment import attribution, guides, joining, sources
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(name="导购测试店")
    store = make.store(merchant, "南门店")
    people = {
        "owner": make.staff(merchant, role=roles.OWNER, username="g-owner"),
        "operator": make.staff(merchant, role=roles.OPERATOR, username="g-operator"),
        "cashier": make.staff(merchant, role=roles.CASHIER, username="g-cashier", stores_=[store]),
        "anna": make.staff(merchant, role=roles.GUIDE, username="g-anna", stores_=[store]),
        "bo": make.staff(merchant, role=roles.GUIDE, username="g-bo", stores_=[store]),
    }
    other = make.merchant(name="别家店")
    people["stranger"] = make.staff(other, role=roles.GUIDE, username="g-stranger")
    db.session.commit()
    return {"merchant": merchant, "store": store, "other": other, **people}


def _history(db, member):
    return db.session.scalars(select(GuideChange).where(GuideChange.member_id == member.id)
                              .order_by(GuideChange.id)).all()


def _rebind(db, merchant, on):
    db.session.merge(RecruitSettings(merchant_id=merchant.id, rebind_guide_on_scan=on, referral_rewards={},
                                     invite_enabled=True))
    db.session.commit()


def _join_through(db, shop, staff, mobile):
    source = sources.for_staff(db.session, staff, store_id=shop["store"].id)
    member = shop_member(db, shop, mobile)
    joining.after_join(db.session, shop["merchant"], member, attribution.Touch.of(source))
    db.session.commit()
    return member, source


def shop_member(db, shop, mobile):
    member, _created = member_join.create_or_reuse(db.session, shop["merchant"], mobile, member_join.Profile())
    return member


def test_does_a_member_who_joins_through_a_guides_code_become_that_guides(db, shop):
    member, _source = _join_through(db, shop, shop["anna"], "13600000001")
    db.session.refresh(member)
    assert member.guide_id == shop["anna"].id and member.guide_bound_at is not None
    [change] = _history(db, member)
    assert (change.from_staff_id, change.to_staff_id, change.how) == (None, shop["anna"].id, "scan")


def test_does_a_cashiers_code_or_a_guide_who_left_bind_nobody(db, shop):
    member, _source = _join_through(db, shop, shop["cashier"], "13600000002")
    shop["bo"].active = False
    db.session.commit()
    later, _source = _join_through(db, shop, shop["bo"], "13600000003")
    for joined in (member, later):
        db.session.refresh(joined)
        assert joined.guide_id is None and _history(db, joined) == []


def test_does_the_first_guide_keep_the_member_when_the_merchant_does_not_rebind(db, shop):
    member, _source = _join_through(db, shop, shop["anna"], "13600000004")
    scanned = sources.for_staff(db.session, shop["bo"])
    assert guides.bind_on_scan(db.session, shop["merchant"], member, scanned) is False
    db.session.commit()
    db.session.refresh(member)
    assert member.guide_id == shop["anna"].id and len(_history(db, member)) == 1


def test_does_a_later_scan_move_the_member_when_the_merchant_rebinds(db, shop):
    _rebind(db, shop["merchant"], True)
    member, _source = _join_through(db, shop, shop["anna"], "13600000005")
    scanned = sources.for_staff(db.session, shop["bo"])
    assert guides.bind_on_scan(db.session, shop["merchant"], member, scanned) is True
    assert guides.bind_on_scan(db.session, shop["merchant"], member, scanned) is False  # already theirs
    db.session.commit()
    db.session.refresh(member)
    assert member.guide_id == shop["bo"].id
    moves = [(c.from_staff_id, c.to_staff_id, c.how) for c in _history(db, member)]
    assert moves == [(None, shop["anna"].id, "scan"), (shop["anna"].id, shop["bo"].id, "scan")]


def test_does_a_scan_bind_a_member_without_a_guide_even_when_the_merchant_does_not_rebind(db, shop, make):
    member = make.member(shop["merchant"], mobile="13600000006")
    db.session.commit()
    assert guides.bind_on_scan(db.session, shop["merchant"], member, sources.for_staff(db.session, shop["bo"]))
    db.session.commit()
    db.session.refresh(member)
    assert member.guide_id == shop["bo"].id


def test_do_two_guides_binding_one_member_at_once_leave_one_guide_and_one_history_row(app, db, shop, make):
    member = make.member(shop["merchant"], mobile="13600000007")
    db.session.commit()
    guide_ids = [shop["anna"].id, shop["bo"].id] * 3

    def bind(session, index):
        merchant = session.get(Merchant, shop["merchant"].id)
        joined = session.get(Member, member.id)
        return guides.bind_on_join(session, merchant, joined, attribution.Touch(staff_id=guide_ids[index]))

    results, errors = run_concurrently(app, len(guide_ids), bind)
    assert not errors and sorted(results) == [False] * 5 + [True]
    db.session.expire_all()
    [change] = _history(db, member)
    assert db.session.get(Member, member.id).guide_id == change.to_staff_id


def test_can_an_owner_reassign_a_member_with_a_reason_and_is_it_kept_and_audited(db, shop, make):
    member = make.member(shop["merchant"], mobile="13600000008")
    guides.reassign(db.session, shop["owner"], member, shop["anna"].id, reason="顾客指定")
    guides.reassign(db.session, shop["owner"], member, shop["bo"].id, reason="导购调店")
    guides.reassign(db.session, shop["owner"], member, None, reason="顾客不需要导购")
    db.session.commit()
    db.session.refresh(member)
    assert member.guide_id is None and member.guide_bound_at is None
    moves = [(c.from_staff_id, c.to_staff_id, c.how, c.reason, c.operator_id) for c in _history(db, member)]
    assert moves == [(None, shop["anna"].id, "manual", "顾客指定", shop["owner"].id),
                     (shop["anna"].id, shop["bo"].id, "manual", "导购调店", shop["owner"].id),
                     (shop["bo"].id, None, "removed", "顾客不需要导购", shop["owner"].id)]
    shown = guides.history(db.session, shop["merchant"].id, member.id)
    assert [c.how for c in shown] == ["removed", "manual", "manual"]
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "member.guide")
                                .order_by(AuditLog.id)).all()
    assert [a.after for a in audits][1] == {"guide_id": shop["bo"].id, "reason": "导购调店"}


@pytest.mark.parametrize("who, guide, reason, refusal", [
    ("owner", "stranger", "换人", "只能选择本商户在职的导购"),
    ("owner", "cashier", "换人", "只能选择本商户在职的导购"),
    ("owner", "anna", "", "请填写原因"),
    ("owner", "anna", "x" * 201, "原因不能超过 200 个字符"),
    ("owner", "anna", "原因\x00", "原因不能包含控制字符"),
    ("operator", "anna", "换人", "您没有权限更换导购"),
    ("anna", "anna", "换人", "您没有权限更换导购"),
])
def test_is_a_bad_reassignment_refused_with_nothing_changed(db, shop, make, who, guide, reason, refusal):
    member = make.member(shop["merchant"], mobile="13600000009")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        guides.reassign(db.session, shop[who], member, shop[guide].id, reason=reason)
    assert refused.value.message == refusal
    db.session.rollback()
    db.session.refresh(member)
    assert member.guide_id is None and _history(db, member) == []


def test_is_an_unchanged_guide_refused_and_a_guide_who_left_not_choosable(db, shop, make):
    member = make.member(shop["merchant"], mobile="13600000010")
    guides.reassign(db.session, shop["owner"], member, shop["anna"].id, reason="顾客指定")
    with pytest.raises(DomainError, match="已由这位导购服务"):
        guides.reassign(db.session, shop["owner"], member, shop["anna"].id, reason="再次")
    shop["bo"].active = False
    with pytest.raises(DomainError, match="在职的导购"):
        guides.reassign(db.session, shop["owner"], member, shop["bo"].id, reason="换人")
    assert [s.id for s in guides.choosable(db.session, shop["merchant"].id)] == [shop["anna"].id]


def _guided(db, shop, guide, count, start):
    members = [shop_member(db, shop, f"1350000{start + n:04d}") for n in range(count)]
    for member in members:
        member.guide_id = guide.id
    db.session.commit()
    return members


def test_does_a_bulk_move_take_all_of_a_guides_members_in_chunks_with_history(db, shop):
    anna = _guided(db, shop, shop["anna"], 5, 0)
    kept = _guided(db, shop, shop["bo"], 1, 100)
    shop["anna"].active = False  # she left: her members are moved to Bo
    db.session.commit()
    moved = guides.move_members(db.session, shop["owner"], from_guide_id=shop["anna"].id, to_guide_id=shop["bo"].id,
                                reason="导购离职", chunk=2)
    db.session.commit()
    assert moved == 5
    assert db.session.scalar(select(func.count()).where(Member.guide_id == shop["bo"].id)) == 6
    rows = db.session.scalars(select(GuideChange).where(GuideChange.how == "bulk")).all()
    assert sorted(r.member_id for r in rows) == sorted(m.id for m in anna)
    assert {(r.from_staff_id, r.to_staff_id, r.reason, r.operator_id, r.merchant_id) for r in rows} == {
        (shop["anna"].id, shop["bo"].id, "导购离职", shop["owner"].id, shop["merchant"].id)}
    assert all(r.created_at is not None for r in rows) and _history(db, kept[0]) == []
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "guide.bulk_move")).one()
    assert audit.after == {"guide_id": shop["bo"].id, "count": 5, "reason": "导购离职"}
    counts = {staff.id: n for staff, n in guides.guides_with_counts(db.session, shop["merchant"].id)}
    assert counts == {shop["bo"].id: 6}


def test_does_a_bulk_move_of_ticked_members_move_only_this_guides_ones_of_this_merchant(db, shop, make):
    anna = _guided(db, shop, shop["anna"], 3, 200)
    bos = _guided(db, shop, shop["bo"], 1, 300)
    foreign = make.member(shop["other"], mobile="13500000999", guide_id=shop["stranger"].id)
    db.session.commit()
    ticked = [anna[0].id, anna[2].id, bos[0].id, foreign.id]
    moved = guides.move_members(db.session, shop["owner"], from_guide_id=shop["anna"].id, to_guide_id=shop["bo"].id,
                                reason="分组调整", member_ids=ticked)
    db.session.commit()
    assert moved == 2
    db.session.expire_all()
    assert [db.session.get(Member, m.id).guide_id for m in anna] == [shop["bo"].id, shop["anna"].id, shop["bo"].id]
    assert db.session.get(Member, foreign.id).guide_id == shop["stranger"].id


def test_does_a_bulk_move_by_an_audience_move_only_the_members_it_holds(db, shop):
    anna = _guided(db, shop, shop["anna"], 3, 400)
    anna[1].gender = "female"
    db.session.commit()
    moved = guides.move_members(db.session, shop["owner"], from_guide_id=shop["anna"].id, to_guide_id=shop["bo"].id,
                                reason="女装顾客", filters=Filters(genders=("female",)))
    db.session.commit()
    assert moved == 1
    db.session.expire_all()
    assert [db.session.get(Member, m.id).guide_id for m in anna] == [shop["anna"].id, shop["bo"].id, shop["anna"].id]


@pytest.mark.parametrize("change, refusal", [
    ({"to_guide_id": "stranger"}, "只能选择本商户在职的导购"),
    ({"to_guide_id": "anna"}, "原导购和新导购不能是同一人"),
    ({"from_guide_id": "stranger"}, "原导购不存在"),
    ({"reason": ""}, "请填写原因"),
    ({"member_ids": ["1", "abc"]}, "会员选择有误，请刷新后重试"),
    ({"member_ids": [str(10 ** 30)]}, "会员选择有误，请刷新后重试"),
    ({"member_ids": []}, "请勾选要转移的会员"),
    ({"from_guide_id": "cashier"}, "没有符合条件的会员可以转移"),
    ({"actor": "operator"}, "您没有权限更换导购"),
])
def test_is_a_bad_bulk_move_refused_with_nothing_changed(db, shop, change, refusal):
    anna = _guided(db, shop, shop["anna"], 2, 500)
    args = {"actor": "owner", "from_guide_id": "anna", "to_guide_id": "bo", "reason": "调整", **change}
    people = {key: shop[args[key]] for key in ("actor", "from_guide_id", "to_guide_id")}
    kwargs = {"from_guide_id": people["from_guide_id"].id, "to_guide_id": people["to_guide_id"].id,
              "reason": args["reason"]}
    if "member_ids" in args:
        kwargs["member_ids"] = args["member_ids"]
    with pytest.raises(DomainError) as refused:
        guides.move_members(db.session, people["actor"], **kwargs)
    assert refused.value.message == refusal
    assert isinstance(refused.value, NotFound) == (refusal == "原导购不存在")
    assert isinstance(refused.value, PermissionDenied) == (refusal == "您没有权限更换导购")
    db.session.rollback()
    db.session.expire_all()
    assert {db.session.get(Member, m.id).guide_id for m in anna} == {shop["anna"].id}
    assert db.session.scalar(select(func.count(GuideChange.id))) == 0


def test_does_a_guide_see_only_their_own_members_searched_by_phone_or_name(db, shop):
    anna = _guided(db, shop, shop["anna"], 2, 600)
    _guided(db, shop, shop["bo"], 2, 700)
    anna[0].name = "李四"
    db.session.commit()
    mine = db.session.scalars(guides.guided_members(shop["merchant"].id, shop["anna"].id)).all()
    assert sorted(m.id for m in mine) == sorted(m.id for m in anna)
    by_name = db.session.scalars(guides.guided_members(shop["merchant"].id, shop["anna"].id, "李四")).all()
    assert [m.id for m in by_name] == [anna[0].id]
    by_phone = db.session.scalars(guides.guided_members(shop["merchant"].id, shop["anna"].id, "0601")).all()
    assert [m.id for m in by_phone] == [anna[1].id]
    assert db.session.scalars(guides.guided_members(shop["merchant"].id, shop["anna"].id, "0701")).all() == []
    assert db.session.scalars(guides.guided_members(shop["other"].id, shop["anna"].id)).all() == []
