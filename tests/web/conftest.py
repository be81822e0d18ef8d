"""Back-office web tests: a merchant with an owner signed in, and helpers to act as any role."""
import pytest

from domain import roles


@pytest.fixture()
def merchant(make, db):
    shop = make.merchant(name="测试咖啡")
    db.session.commit()
    return shop


@pytest.fixture()
def store(make, db, merchant):
    shop = make.store(merchant, name="人民广场店")
    db.session.commit()
    return shop


@pytest.fixture()
def owner(make, db, merchant):
    person = make.staff(merchant, role=roles.OWNER, username="boss")
    db.session.commit()
    return person


@pytest.fixture()
def as_owner(login, owner):
    """The test client, signed in as the merchant's owner."""
    return login(owner)


@pytest.fixture()
def sign_in_as(make, db, client, login, merchant):
    """sign_in_as(role) creates a staff member with that role and signs the client in as them.

    A verifier may not sign in to the back office at all; for that role the session is set directly,
    so the permission checks of each view are still exercised.
    """

    def sign_in(role, stores_=None):
        person = make.staff(merchant, role=role, stores_=stores_)
        db.session.commit()
        if roles.can(role, "backoffice.enter"):
            login(person)
        else:
            with client.session_transaction() as session:
                session["_user_id"] = person.get_id()
                session["_fresh"] = True
        return person

    return sign_in


def page(response):
    return response.get_data(as_text=True)
