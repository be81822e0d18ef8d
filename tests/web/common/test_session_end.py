"""A session cookie copied before a logout, or before a password change, no longer signs anyone in afterwards:
both end every session of that person (Staff.session_version)."""
from flask import g

from services.merchant import staff as staff_service


def _copied_cookie(client):
    return client.get_cookie("session").value


def _with_cookie(app, value):
    # The tests hold one application context for all their requests, so `g` (where Flask-Login keeps the user
    # it loaded) outlives a request here as it never does in production: forget it, as a new request would.
    g.pop("_login_user", None)
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_does_a_cookie_copied_before_logout_stop_working_after_it(app, client, login, make, db):
    owner = make.staff(make.merchant(), role="owner")
    db.session.commit()
    login(owner)
    copied = _copied_cookie(client)
    assert _with_cookie(app, copied).get("/backoffice/").status_code == 200  # the copy works while signed in
    assert client.post("/backoffice/logout").status_code == 302
    assert _with_cookie(app, copied).get("/backoffice/").status_code == 302  # back to the login page


def test_does_a_password_change_end_every_session_of_that_person(app, client, login, make, db):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    admin = make.staff(merchant, role="admin")
    db.session.commit()
    login(admin)
    copied = _copied_cookie(client)
    assert _with_cookie(app, copied).get("/backoffice/").status_code == 200
    staff_service.update_staff(db.session, owner, admin, name=admin.name, role=admin.role,
                               password="new-password-1234")
    db.session.commit()
    answer = _with_cookie(app, copied).get("/backoffice/")
    assert answer.status_code == 302 and "/backoffice/login" in answer.location
