"""The request's unit of work, the same for every blueprint: views call services, which flush and never commit;
the request commits once, here, when its answer is a success (status below 400), and rolls back otherwise.

Two exceptions, each said in one call by the view:
- `keep_on_error()`: the answer is an error but what the view wrote last must stay (a failed look-up counted
  against a guessing limit, a stale gift-card link released back to its giver).
- `commit_now()`: what is written must be committed before the request talks to the outside world (an order
  must exist before WeChat Pay or Alipay hears of it, so that their notification always finds it), or before it
  answers one (a payment notification is answered SUCCESS only once the payment is committed).

A commit that fails raises, and the application's error handler answers 500 with nothing kept.
"""
from flask import g

from extensions import db

_KEEP = "boundary_keep_on_error"


def install(app):
    app.after_request(_commit_or_roll_back)


def keep_on_error():
    setattr(g, _KEEP, True)


def commit_now():
    db.session.commit()


def discard_unless_kept():
    """For error handlers, before they render: a failed transaction cannot be read from until it is rolled back."""
    if not g.get(_KEEP):
        db.session.rollback()


def _commit_or_roll_back(response):
    if not db.session.registry.has():
        return response  # the request never opened a session (a static file, a page without data)
    if response.status_code < 400 or g.get(_KEEP):
        g.pop(_KEEP, None)  # a commit that fails comes back here with the 500: roll that back
        db.session.commit()
    else:
        db.session.rollback()
    return response
