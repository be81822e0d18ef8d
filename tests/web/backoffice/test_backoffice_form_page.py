"""Back office: ui.form_page, the one shape of every form page (show, validate, save, refuse, say, go back); the
redirect of a success commits at the request boundary (tests/web/common/test_boundary.py)."""
from types import SimpleNamespace

import pytest
from flask import get_flashed_messages
from werkzeug.exceptions import NotFound as HTTPNotFound

from backoffice import ui
from domain.errors import DomainError, NotFound


class Form:
    def __init__(self, submitted=True, valid=True):
        self.submitted, self.valid, self.validated = submitted, valid, False

    def is_submitted(self):
        return self.submitted

    def validate(self):
        self.validated = True
        return self.valid


@pytest.fixture()
def calls(app, monkeypatch):
    """What form_page did: pages rendered and rollbacks, in order."""
    done = []
    monkeypatch.setattr(ui, "render_template", lambda page, **context: done.append(("render", page, context)) or page)
    monkeypatch.setattr(ui, "db", SimpleNamespace(session=SimpleNamespace(rollback=lambda: done.append(("rollback",)))))
    with app.test_request_context("/backoffice/things/new", method="POST"):
        yield done


def never():
    raise AssertionError("save() must not run")


def test_is_the_form_shown_on_get_with_its_context(calls):
    form = Form(submitted=False)
    assert ui.form_page("page.html", {"form": form, "thing": None}, never, done="ok", back="/") == "page.html"
    assert calls == [("render", "page.html", {"form": form, "thing": None})] and not form.validated


def test_is_an_invalid_form_shown_again_with_400_and_nothing_saved(calls):
    assert ui.form_page("page.html", {"form": Form(valid=False)}, never, done="ok", back="/")[1] == 400
    assert [c[0] for c in calls] == ["render"]


def test_does_a_check_outside_the_form_run_only_once_the_form_is_valid(calls):
    checked = []
    ui.form_page("page.html", {"form": Form(valid=False)}, never, done="ok", back="/", ok=lambda: checked.append(1))
    assert checked == []
    response = ui.form_page("page.html", {"form": Form()}, never, done="ok", back="/", ok=lambda: False)
    assert response[1] == 400


def test_does_a_refusal_roll_back_say_why_and_show_the_form_with_the_fields_it_names(calls):
    def refused():
        calls.append(("save",))
        raise DomainError("手机号已被使用", fields={"mobile": "已被使用"})

    page, status = ui.form_page("page.html", {"form": Form(), "field_errors": {}}, refused, done="ok", back="/")
    assert status == 400 and [c[0] for c in calls] == ["save", "rollback", "render"]
    assert calls[-1][2]["field_errors"] == {"mobile": "已被使用"}
    assert get_flashed_messages(with_categories=True) == [("warning", "手机号已被使用")]


def test_is_a_record_of_another_merchant_a_404(calls):
    def missing():
        raise NotFound("记录不存在")

    with pytest.raises(HTTPNotFound):
        ui.form_page("page.html", {"form": Form()}, missing, done="ok", back="/")


def test_does_success_say_done_and_go_back_both_from_what_was_saved_without_a_rollback(calls):
    saved = SimpleNamespace(id=7, name="金卡")

    def save():
        calls.append(("save",))
        return saved

    def done(thing):
        calls.append(("done",))  # worked out before the request commits, while the saved record is fresh
        return f"已保存 {thing.name}"

    response = ui.form_page("page.html", {"form": Form()}, save, done=done, back=lambda thing: f"/things/{thing.id}")
    assert response.status_code == 302 and response.location == "/things/7"
    assert [c[0] for c in calls] == ["save", "done"]
    assert get_flashed_messages(with_categories=True) == [("success", "已保存 金卡")]


def test_is_a_context_made_only_when_a_page_is_shown(calls):
    made = []

    def context():
        made.append(1)
        return {"form": form}

    form = Form()
    ui.form_page("page.html", context, lambda: None, form=form, done="ok", back="/")
    assert made == []  # saved and redirected: no page, no context
    ui.form_page("page.html", context, never, form=Form(valid=False), done="ok", back="/")
    assert made == [1]
