"""Small helpers for back-office web tests."""
from sqlalchemy import func, select

from extensions import db


def text_of(response):
    return response.get_data(as_text=True)


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(obj):
    """Reload a row from the database (after a request committed or rolled back)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
