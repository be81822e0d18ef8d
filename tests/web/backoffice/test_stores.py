"""Back office: stores."""
from models import AuditLog, Store
from tests.web.helpers import count, fresh, text_of


def test_does_the_store_list_show_every_store_of_the_merchant(as_owner, store):
    response = as_owner.get("/backoffice/stores")
    assert response.status_code == 200
    assert "人民广场店" in text_of(response) and "营业中" in text_of(response)


def test_can_an_owner_create_a_store(as_owner, merchant):
    assert as_owner.get("/backoffice/stores/new").status_code == 200
    response = as_owner.post("/backoffice/stores/new", data={
        "name": "陆家嘴店", "address": "世纪大道 100 号", "phone": "021-12345678", "active": "y"})
    assert response.status_code == 302 and response.location.endswith("/backoffice/stores")
    store = fresh_store(merchant, "陆家嘴店")
    assert (store.address, store.phone, store.active) == ("世纪大道 100 号", "021-12345678", True)
    assert count(AuditLog, AuditLog.action == "store.create") == 1
    assert "门店已保存" in text_of(as_owner.get(response.location))


def test_can_an_owner_rename_and_close_a_store(as_owner, store):
    assert "人民广场店" in text_of(as_owner.get(f"/backoffice/stores/{store.id}/edit"))
    response = as_owner.post(f"/backoffice/stores/{store.id}/edit", data={"name": "人民广场旗舰店", "address": ""})
    assert response.status_code == 302
    store = fresh(store)
    assert (store.name, store.active) == ("人民广场旗舰店", False)


def test_is_an_over_long_store_name_refused_with_a_clear_message(as_owner, store):
    response = as_owner.post(f"/backoffice/stores/{store.id}/edit", data={"name": "店" * 101, "active": "y"})
    assert response.status_code == 400
    assert "门店名称不能超过 100 个字" in text_of(response)
    assert fresh(store).name == "人民广场店"


def test_is_a_second_store_with_the_same_name_refused(as_owner, merchant, store):
    response = as_owner.post("/backoffice/stores/new", data={"name": "人民广场店", "active": "y"})
    assert response.status_code == 400
    assert "已有同名门店" in text_of(response)
    assert count(Store, Store.merchant_id == merchant.id) == 1


def test_is_a_store_without_a_name_refused(as_owner, merchant):
    response = as_owner.post("/backoffice/stores/new", data={"name": "  ", "active": "y"})
    assert response.status_code == 400
    assert "请填写门店名称" in text_of(response)
    assert count(Store, Store.merchant_id == merchant.id) == 0


def fresh_store(merchant, name):
    from extensions import db

    db.session.expire_all()
    return db.session.query(Store).filter_by(merchant_id=merchant.id, name=name).one()
