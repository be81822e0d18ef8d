"""Back office: the menu (backoffice/navigation.py) groups every screen once, highlights where the staff member is,
and shows each role exactly the screens it may open."""
import re

import pytest
from flask import url_for

from backoffice import navigation
from domain import roles
from tests.web.helpers import text_of
from tests.web.backoffice.test_coupons_backoffice import make_template

ENTERING = [role for role in roles.ALL_ROLES if roles.can(role, "backoffice.enter")]


def menu_urls(body):
    nav = re.search(r'<nav class="bo-nav"[^>]*>(.*?)</nav>', body, re.S).group(1)
    return re.findall(r'class="bo-nav__item[^"]*" href="([^"]+)"', nav)


def all_items():
    return [item for group in navigation.MENU for item in group.items]


def test_is_every_screen_in_the_menu_once_and_guarded_by_a_permission(app):
    endpoints = [item.endpoint for item in all_items()]
    assert len(endpoints) == len(set(endpoints))
    with app.app_context():
        for endpoint in endpoints:
            assert navigation.required_permission(endpoint) in roles.PERMISSIONS, endpoint
            assert "GET" in next(app.url_map.iter_rules(endpoint)).methods


def test_are_the_groups_the_ones_merchants_know(app):
    with app.test_request_context():
        assert [str(group.label) for group in navigation.MENU] == [
            "概况", "会员", "卡券", "储值", "收银", "营销", "数据", "设置"]


@pytest.mark.parametrize("role", ENTERING)
def test_does_each_role_see_exactly_the_screens_it_may_open(sign_in_as, client, app, role):
    sign_in_as(role)
    body = text_of(client.get("/backoffice/"))
    shown = menu_urls(body)
    with app.test_request_context():
        expected = [(item, url_for(item.endpoint)) for item in all_items()]
    assert shown == [url for item, url in expected
                     if roles.can(role, navigation_permission(app, item.endpoint))]
    for item, url in expected:
        status = client.get(url).status_code
        if url in shown:
            assert status == 200, (role, url)
        else:
            assert status == 403, (role, url)


def navigation_permission(app, endpoint):
    with app.app_context():
        return navigation.required_permission(endpoint)


def test_does_a_verifier_get_no_back_office_at_all(sign_in_as, client):
    sign_in_as(roles.VERIFIER)
    assert client.get("/backoffice/").status_code == 403


@pytest.mark.parametrize("path, group, item", [
    ("/backoffice/", "概况", "概览"),
    ("/backoffice/levels", "会员", "会员等级"),
    ("/backoffice/levels/new", "会员", "会员等级"),
    ("/backoffice/coupons/bulk/new", "营销", "批量发券"),
    ("/backoffice/coupons/issue", "卡券", "发券发卡"),
    ("/backoffice/coupons/new", "卡券", "优惠券"),
    ("/backoffice/stored-value/rules/new", "储值", "充值档位"),
    ("/backoffice/wechat/keywords", "营销", "公众号"),
    ("/backoffice/settings/fields/new", "设置", "商户设置"),
])
def test_are_the_current_screen_and_its_group_highlighted(as_owner, path, group, item):
    body = text_of(as_owner.get(path))
    active_groups = re.findall(r'<section class="bo-nav__group is-active".*?bo-nav__label">([^<]+)<', body, re.S)
    assert active_groups == [group]
    assert re.findall(r'class="bo-nav__item is-active" href="[^"]+" aria-current="page">([^<]+)<', body) == [item]
    assert re.findall(r'class="bo-rail__item is-active"[^>]*>.*?<span>([^<]+)</span>', body, re.S) == [group]


def test_does_a_screen_outside_the_menu_highlight_nothing(sign_in_as, client, owner):
    """A cashier may give a coupon, but its page lies under 优惠券, which a cashier cannot open: nothing is marked."""
    template = make_template(owner)
    sign_in_as(roles.CASHIER)
    body = text_of(client.get(f"/backoffice/coupons/{template.id}/issue"))
    shell = body.split("<main", 1)[0]
    assert "is-active" not in shell and 'aria-current' not in shell
    assert "has-current" not in shell and 'class="bo-crumbs"' not in shell
