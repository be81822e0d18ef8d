"""Every form the back office and the staff page actually show, filled field by field the way a fuzzer fills it:
NUL bytes, integers far beyond any column, 10,000-character strings and emoji, on PostgreSQL. The forms are found
by reading the pages (not from a list), so a form added later is fuzzed too. No answer may be a server error."""
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from domain import roles
from services.coupons import templates as coupons
from tests import factories

PREFIXES = ("/backoffice/", "/staff/")
SKIPPED_ACTIONS = ("logout", "password")  # they end the session the crawl runs in
VALUES = {"nul": "a\x00b", "huge": "9" * 25, "long": "长" * 10_000, "emoji": "😀🎉" * 200}


class _Forms(HTMLParser):
    """The forms of a page: action, method and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                             "fields": set()}
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current is not None and attrs.get("name"):
            if attrs.get("type") not in ("submit", "button", "image", "file"):
                self._current["fields"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _pages(app):
    """Every GET page; an id in the path is 1, the first row of each table (the fixture's store, member, staff,
    coupon, card...), so the edit pages of those rows are read too."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIXES) or "GET" not in rule.methods:
            continue
        if all(rule._converters[name].__class__.__name__ == "BoundedInt" for name in rule.arguments):
            yield re.sub(r"<[^<>]+>", "1", rule.rule)


def _forms_on_pages(app, client):
    found = {}
    for path in _pages(app):
        answer = client.get(path)
        if answer.status_code != 200 or "html" not in (answer.content_type or ""):
            continue
        reader = _Forms()
        reader.feed(answer.get_data(as_text=True))
        for form in reader.forms:
            target = urlsplit(urljoin(path, form["action"] or path)).path
            if target.startswith(PREFIXES) and not any(word in target for word in SKIPPED_ACTIONS):
                key = (target, form["method"])
                found.setdefault(key, set()).update(form["fields"] - {"csrf_token"})
    return found


@pytest.fixture()
def signed_in_everywhere(make, db, login, client):
    merchant = make.merchant(name="表单模糊店")
    owner = make.staff(merchant, role=roles.OWNER, username="formfuzz")
    store = make.store(merchant, name="模糊门店")
    member = make.member(merchant)
    make.wallet(merchant, member, principal=10_000)
    coupons.save_template(db.session, owner, None, kind="cash", title="十元券", amount_off=1000,
                          validity_mode="relative", valid_days=30)
    db.session.commit()
    login(owner)
    client.post("/staff/login", data={"merchant": merchant.slug, "username": owner.username,
                                      "password": factories.PASSWORD})
    client.post("/staff/store", data={"store_id": store.id})
    assert client.get("/staff/").status_code == 200
    return merchant


def test_does_no_form_on_any_page_answer_500_to_fuzzed_fields(app, client, signed_in_everywhere):
    forms = _forms_on_pages(app, client)
    assert len(forms) >= 45, sorted(forms)  # the crawl really reached the forms (the back office has dozens)
    failures = []
    for (target, method), fields in sorted(forms.items()):
        for label, value in VALUES.items():
            data = {name: value for name in fields} or {"q": value}
            answer = client.post(target, data=data) if method == "post" else client.get(target, query_string=data)
            if answer.status_code >= 500:
                failures.append((method, target, label, answer.status_code))
    assert failures == []


def test_is_a_nul_byte_in_any_form_refused_with_a_clear_message(app, client, signed_in_everywhere):
    forms = _forms_on_pages(app, client)
    posted = [(target, fields) for (target, method), fields in sorted(forms.items()) if method == "post" and fields]
    assert posted
    for target, fields in posted:
        answer = client.post(target, data={name: VALUES["nul"] for name in fields})
        assert answer.status_code in (400, 404), (target, answer.status_code)
        if answer.status_code == 400:
            assert re.search("控制字符", answer.get_data(as_text=True)), target
