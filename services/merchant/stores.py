"""Stores of a merchant."""
from domain.errors import Conflict
from models import Store
from services.merchant import audit
from services.shared.tenancy import scoped
from services.shared.text import optional_text, required_text

FIELDS = ("name", "address", "phone", "active")


def list_stores(session, merchant_id, active_only=False):
    query = scoped(Store, merchant_id).order_by(Store.id)
    if active_only:
        query = query.where(Store.active.is_(True))
    return session.scalars(query).all()


def save_store(session, actor, store, *, name, address=None, phone=None, active=True):
    """Create (store=None) or update a store of the actor's merchant."""
    name = required_text(name, "门店名称", 100)
    clash = scoped(Store, actor.merchant_id).where(Store.name == name)
    if store is not None:
        clash = clash.where(Store.id != store.id)
    if session.scalars(clash).first():
        raise Conflict("已有同名门店")
    creating = store is None
    before = {} if creating else audit.snapshot(store, FIELDS)
    if creating:
        store = Store(merchant_id=actor.merchant_id)
        session.add(store)
    store.name = name
    store.address = optional_text(address, "地址", 200)
    store.phone = optional_text(phone, "电话", 30)
    store.active = bool(active)
    session.flush()
    after = audit.snapshot(store, FIELDS)
    if creating:
        audit.record(session, actor, "store.create", "store", store.id, after=after)
    else:
        audit.record(session, actor, "store.update", "store", store.id, *audit.changed_only(before, after))
    return store


def create_store(session, merchant_id, name, address=None):
    """Set-up path (CLI, demo data) where no staff member acts yet."""
    store = Store(merchant_id=merchant_id, name=required_text(name, "门店名称", 100), address=address)
    session.add(store)
    session.flush()
    return store

