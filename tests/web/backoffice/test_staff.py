"""Back office: staff accounts."""
from domain import roles
from models import Staff
from services.merchant import staff as staff_service
from tests.web.helpers import count, fresh, text_of


def test_does_the_staff_list_show_roles_and_stores(as_owner, make, db, merchant, store):
    make.staff(merchant, role=roles.CASHIER, username="cash1", stores_=[store])
    db.session.commit()
    body = text_of(as_owner.get("/backoffice/staff"))
    assert "cash1" in body and "收银员" in body and "人民广场店" in body and "店主" in body


def test_can_an_owner_create_a_cashier_for_a_store(as_owner, merchant, store):
    assert "收银员" in text_of(as_owner.get("/backoffice/staff/new"))
    response = as_owner.post("/backoffice/staff/new", data={
        "username": "cash2", "name": "周收银", "mobile": "138 0013 8000", "role": roles.CASHIER,
        "store_ids": [str(store.id)], "password": "secret-pass"})
    assert response.status_code == 302
    person = one_staff(merchant, "cash2")
    assert (person.name, person.mobile, person.role) == ("周收银", "13800138000", roles.CASHIER)
    assert [s.id for s in person.stores] == [store.id]
    assert person.check_password("secret-pass")


def test_must_a_store_bound_role_have_a_store(as_owner, merchant):
    response = as_owner.post("/backoffice/staff/new", data={
        "username": "guide9", "name": "孙导购", "role": roles.GUIDE, "password": "secret-pass"})
    assert response.status_code == 400
    assert "须至少分配一个门店" in text_of(response)
    assert count(Staff, Staff.username == "guide9") == 0


def test_is_a_bad_mobile_or_short_password_refused_with_clear_messages(as_owner):
    response = as_owner.post("/backoffice/staff/new", data={
        "username": "op1", "name": "赵运营", "mobile": "12345", "role": roles.OPERATOR, "password": "short"})
    assert response.status_code == 400
    body = text_of(response)
    assert "请输入正确的 11 位手机号" in body and "密码须为 8-128 位" in body
    assert count(Staff, Staff.username == "op1") == 0


def test_is_a_taken_username_refused(as_owner, owner):
    response = as_owner.post("/backoffice/staff/new", data={
        "username": owner.username, "name": "重名", "role": roles.OPERATOR, "password": "secret-pass"})
    assert response.status_code == 400
    assert "账号已存在" in text_of(response)


def test_can_an_owner_disable_a_staff_member_and_reset_the_password(as_owner, make, db, merchant):
    person = make.staff(merchant, role=roles.OPERATOR, username="op2")
    db.session.commit()
    assert "op2" in text_of(as_owner.get(f"/backoffice/staff/{person.id}/edit"))
    response = as_owner.post(f"/backoffice/staff/{person.id}/edit", data={
        "name": "赵运营", "role": roles.CUSTOMER_SERVICE, "password": "new-password"})
    assert response.status_code == 302
    person = fresh(person)
    assert (person.name, person.role, person.active) == ("赵运营", roles.CUSTOMER_SERVICE, False)
    assert person.check_password("new-password")
    assert staff_service.authenticate(db.session, merchant.slug, "op2", "new-password") is None


def test_may_an_owner_not_disable_their_own_account(as_owner, owner):
    response = as_owner.post(f"/backoffice/staff/{owner.id}/edit", data={"name": owner.name, "role": roles.OWNER})
    assert response.status_code == 400
    assert "不能停用自己或修改自己的角色" in text_of(response)
    assert fresh(owner).active is True


def test_can_an_admin_neither_appoint_an_owner_nor_edit_one(sign_in_as, client, owner):
    admin = sign_in_as(roles.ADMIN)
    form = text_of(client.get("/backoffice/staff/new"))
    assert 'value="owner"' not in form
    response = client.post("/backoffice/staff/new", data={
        "username": "boss2", "name": "新店主", "role": roles.OWNER, "password": "secret-pass"})
    assert response.status_code == 400 and count(Staff, Staff.username == "boss2") == 0
    response = client.post(f"/backoffice/staff/{owner.id}/edit", data={
        "name": "改名", "role": roles.OWNER, "active": "y"})
    assert response.status_code == 400
    assert "只有店主可以设置店主角色" in text_of(response)
    response = client.post(f"/backoffice/staff/{owner.id}/edit", data={
        "name": "改名", "role": roles.ADMIN, "active": "y"})
    assert response.status_code == 400
    assert "只有店主可以修改店主账号" in text_of(response)
    owner = fresh(owner)
    assert (owner.name, owner.role) != ("改名", roles.ADMIN) and admin.role == roles.ADMIN


def one_staff(merchant, username):
    from extensions import db

    db.session.expire_all()
    return db.session.query(Staff).filter_by(merchant_id=merchant.id, username=username).one()
