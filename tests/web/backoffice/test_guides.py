"""Back office, 专属导购: the member's page shows their guide and the guide history, and an owner changes or removes
the guide with a required reason; 导购分配 moves all of a guide's members, the ticked ones or an audience's to
another guide, with the history and the audit; only this merchant's active guides can be chosen, and roles without
guides.reassign see no form and are refused."""
import pytest
from sqlalchemy import select

from domain import roles
from models import AuditLog, GuideChange, Member
from services.audiences import saved as saved_audiences
from services.audiences.filters import Filters
from tests.web.helpers import count, fresh, text_of


@pytest.fixture()
def team(make, db, merchant, store):
    anna = make.staff(merchant, role=roles.GUIDE, username="anna", stores_=[store])
    bo = make.staff(merchant, role=roles.GUIDE, username="bo", stores_=[store])
    anna.name, bo.name = "安娜", "阿博"
    other = make.merchant(name="别家")
    spy = make.staff(other, role=roles.GUIDE, username="spy")
    stranger = make.member(other, mobile="13900000009", guide_id=spy.id)
    members = [make.member(merchant, mobile=f"1380000{n:04d}", name=f"客人{n}", guide_id=anna.id)
               for n in range(4)]
    db.session.commit()
    return {"anna": anna, "bo": bo, "spy": spy, "stranger": stranger, "members": members}


def _history(member_id):
    from extensions import db

    return db.session.scalars(select(GuideChange).where(GuideChange.member_id == member_id)
                              .order_by(GuideChange.id)).all()


# --- one member ----------------------------------------------------------------------------------------

def test_does_the_member_page_show_the_guide_and_let_an_owner_change_it_with_a_reason(as_owner, db, team):
    member = team["members"][0]
    page = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    assert 'id="member-guide"' in page and 'id="member-guide-form"' in page and "暂无导购变动" in page
    assert f'<option value="{team["bo"].id}">阿博</option>' in page and "解除绑定" in page
    moved = as_owner.post(f"/backoffice/members/{member.id}/guide", data={"guide_id": team["bo"].id,
                                                                          "reason": "顾客要求更换"})
    assert moved.status_code == 302 and moved.location.endswith(f"/backoffice/members/{member.id}#member-guide")
    assert fresh(member).guide_id == team["bo"].id
    [change] = _history(member.id)
    assert (change.from_staff_id, change.to_staff_id, change.how, change.reason) == (
        team["anna"].id, team["bo"].id, "manual", "顾客要求更换")
    page = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    assert "已更换专属导购" in page and "安娜 → 阿博" in page and "后台指派" in page and "顾客要求更换" in page
    assert "更换专属导购" in page and "专属导购 从 安娜 改为 阿博" in page  # the audit, in words
    removed = as_owner.post(f"/backoffice/members/{member.id}/guide", data={"guide_id": "remove",
                                                                            "reason": "顾客不需要"})
    assert removed.status_code == 302 and fresh(member).guide_id is None
    assert "解除绑定" in text_of(as_owner.get(f"/backoffice/members/{member.id}"))


@pytest.mark.parametrize("data, message", [
    ({"guide_id": "BO", "reason": ""}, "请填写原因"),
    ({"guide_id": "", "reason": "换人"}, "请选择新导购"),
    ({"guide_id": "SPY", "reason": "换人"}, "只能选择本商户在职的导购"),
    ({"guide_id": "OWNER", "reason": "换人"}, "只能选择本商户在职的导购"),
    ({"guide_id": "99999999999999999999", "reason": "换人"}, "只能选择本商户在职的导购"),
    ({"guide_id": "BO", "reason": "长" * 201}, "原因不能超过 200 个字符"),
    ({"guide_id": "BO", "reason": "a\x00b"}, ""),
])
def test_is_a_bad_change_refused_on_the_member_page_with_nothing_changed(as_owner, db, team, owner, data, message):
    member = team["members"][0]
    people = {"BO": team["bo"].id, "SPY": team["spy"].id, "OWNER": owner.id}
    posted = {k: str(people.get(v, v)) for k, v in data.items()}
    refused = as_owner.post(f"/backoffice/members/{member.id}/guide", data=posted)
    assert refused.status_code == 400 and message in text_of(refused)
    assert fresh(member).guide_id == team["anna"].id and _history(member.id) == []
    assert count(AuditLog, AuditLog.action == "member.guide") == 0


def test_is_another_merchants_member_not_found(as_owner, db, team):
    refused = as_owner.post(f"/backoffice/members/{team['stranger'].id}/guide",
                            data={"guide_id": team["bo"].id, "reason": "越权"})
    assert refused.status_code == 404 and fresh(team["stranger"]).guide_id == team["spy"].id


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.CUSTOMER_SERVICE, roles.CASHIER])
def test_do_roles_without_the_permission_see_the_history_but_no_form(sign_in_as, client, db, team, role):
    sign_in_as(role)
    member = team["members"][1]
    page = text_of(client.get(f"/backoffice/members/{member.id}"))
    assert 'id="member-guide"' in page and 'id="member-guide-form"' not in page
    refused = client.post(f"/backoffice/members/{member.id}/guide", data={"guide_id": team["bo"].id,
                                                                          "reason": "越权"})
    assert refused.status_code == 403 and fresh(member).guide_id == team["anna"].id


def test_does_a_guide_see_their_own_members_guide_history(client, login, db, team):
    login(team["anna"])
    page = text_of(client.get(f"/backoffice/members/{team['members'][0].id}"))
    assert 'id="member-guide-history"' not in page and "暂无导购变动" in page
    assert 'id="member-guide-form"' not in page


# --- 导购分配 ------------------------------------------------------------------------------------------------

def test_does_the_page_list_the_guides_with_their_members(as_owner, db, team):
    page = text_of(as_owner.get("/backoffice/guides"))
    assert "导购分配" in page and "安娜" in page and "阿博" in page and "别家" not in page
    assert 'id="guide-move"' not in page
    chosen = text_of(as_owner.get(f"/backoffice/guides?from={team['anna'].id}"))
    assert 'id="guide-move-form"' in chosen and chosen.count('name="member_ids"') == 4
    assert f'<option value="{team["bo"].id}">阿博</option>' in chosen
    assert f'<option value="{team["anna"].id}">' not in chosen  # not to herself
    foreign = text_of(as_owner.get(f"/backoffice/guides?from={team['spy'].id}"))
    assert 'id="guide-move"' not in foreign


def test_can_an_owner_move_all_of_a_guides_members(as_owner, db, team):
    moved = as_owner.post("/backoffice/guides/move", data={
        "from_guide_id": team["anna"].id, "to_guide_id": team["bo"].id, "scope": "all", "reason": "导购离职"})
    assert moved.status_code == 302 and moved.location.endswith(f"/backoffice/guides?from={team['bo'].id}")
    db.session.expire_all()
    assert {db.session.get(Member, m.id).guide_id for m in team["members"]} == {team["bo"].id}
    assert count(GuideChange, GuideChange.how == "bulk", GuideChange.reason == "导购离职") == 4
    assert "已将 4 位会员转给新导购" in text_of(as_owner.get(moved.location))
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "guide.bulk_move")).one()
    assert audit.after["count"] == 4
    assert "批量转移导购会员" in text_of(as_owner.get("/backoffice/audit"))


def test_can_an_owner_move_the_ticked_members_only(as_owner, db, team):
    ticked = [team["members"][0].id, team["members"][3].id, team["stranger"].id]
    moved = as_owner.post("/backoffice/guides/move", data={
        "from_guide_id": team["anna"].id, "to_guide_id": team["bo"].id, "scope": "selected", "reason": "分组",
        "member_ids": [str(i) for i in ticked]})
    assert moved.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Member, m.id).guide_id == team["bo"].id for m in team["members"]] == [
        True, False, False, True]
    assert db.session.get(Member, team["stranger"].id).guide_id == team["spy"].id


def test_can_an_owner_move_an_audiences_members(as_owner, db, team, owner):
    team["members"][2].gender = "female"
    audience = saved_audiences.save(db.session, owner, None, name="女顾客", filters=Filters(genders=("female",)))
    db.session.commit()
    moved = as_owner.post("/backoffice/guides/move", data={
        "from_guide_id": team["anna"].id, "to_guide_id": team["bo"].id, "scope": "audience",
        "audience_id": audience.id, "reason": "女装顾客"})
    assert moved.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Member, m.id).guide_id == team["bo"].id for m in team["members"]] == [
        False, False, True, False]


@pytest.mark.parametrize("data, status, message", [
    ({"to_guide_id": "SPY"}, 400, "只能选择本商户在职的导购"),
    ({"to_guide_id": ""}, 400, "请选择新导购"),
    ({"to_guide_id": "ANNA"}, 400, "原导购和新导购不能是同一人"),
    ({"reason": ""}, 400, "请填写原因"),
    ({"reason": "a\x00b"}, 400, ""),
    ({"scope": "everyone"}, 400, "请选择转移范围"),
    ({"scope": "selected"}, 400, "请勾选要转移的会员"),
    ({"scope": "selected", "member_ids": ["x"]}, 400, "会员选择有误"),
    ({"scope": "audience"}, 400, "请选择人群"),
    ({"from_guide_id": "SPY"}, 404, ""),
    ({"from_guide_id": "99999999999999"}, 400, "原导购有误，请刷新后重试"),
    ({"from_guide_id": "999999"}, 404, ""),
    ({"from_guide_id": ""}, 400, "请先选择原导购"),
])
def test_is_a_bad_move_refused_with_nothing_changed(as_owner, db, team, data, status, message):
    people = {"SPY": str(team["spy"].id), "ANNA": str(team["anna"].id)}
    posted = {"from_guide_id": str(team["anna"].id), "to_guide_id": str(team["bo"].id), "scope": "all",
              "reason": "调整"}
    posted.update({k: (people.get(v, v) if isinstance(v, str) else v) for k, v in data.items()})
    refused = as_owner.post("/backoffice/guides/move", data=posted)
    assert refused.status_code == status and message in text_of(refused)
    db.session.expire_all()
    assert {db.session.get(Member, m.id).guide_id for m in team["members"]} == {team["anna"].id}
    assert count(GuideChange) == 0 and count(AuditLog, AuditLog.action == "guide.bulk_move") == 0


def test_is_the_menu_item_shown_to_owners(as_owner, db, team):
    assert "导购分配" in text_of(as_owner.get("/backoffice/"))


def test_is_the_menu_item_hidden_from_operators(sign_in_as, client, db, team):
    sign_in_as(roles.OPERATOR)
    assert "导购分配" not in text_of(client.get("/backoffice/"))
    assert client.get("/backoffice/guides").status_code == 403


# --- the member form ---------------------------------------------------------------------------------------

def test_is_a_new_members_guide_kept_in_the_history(as_owner, db, team, owner):
    created = as_owner.post("/backoffice/members/new", data={"mobile": "13800009999", "gender": "unknown",
                                                            "guide_id": str(team["bo"].id)})
    assert created.status_code == 302
    member = db.session.scalars(select(Member).where(Member.mobile == "13800009999")).one()
    assert member.guide_id == team["bo"].id and member.guide_bound_at is not None
    [change] = _history(member.id)
    assert (change.from_staff_id, change.to_staff_id, change.how, change.operator_id) == (
        None, team["bo"].id, "manual", owner.id)


def test_does_a_guide_creating_a_customer_get_them_as_helped_by_the_guide(client, login, db, team):
    login(team["anna"])
    assert client.post("/backoffice/members/new", data={"mobile": "13800009998", "gender": "unknown"}).status_code == 302
    member = db.session.scalars(select(Member).where(Member.mobile == "13800009998")).one()
    assert member.guide_id == team["anna"].id
    assert [(c.how, c.operator_id) for c in _history(member.id)] == [("assisted", team["anna"].id)]


def test_does_the_edit_form_leave_the_guide_to_the_member_page(as_owner, db, team):
    member = team["members"][0]
    form = text_of(as_owner.get(f"/backoffice/members/{member.id}/edit"))
    assert 'id="guide-changed-elsewhere"' in form
    saved = as_owner.post(f"/backoffice/members/{member.id}/edit", data={
        "mobile": member.mobile, "name": "改名", "gender": "unknown", "status": "active",
        "guide_id": str(team["bo"].id)})
    assert saved.status_code == 302
    assert (fresh(member).name, fresh(member).guide_id) == ("改名", team["anna"].id)
    assert _history(member.id) == []
