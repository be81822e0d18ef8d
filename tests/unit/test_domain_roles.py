"""Staff roles: the permission table every check relies on."""
import pytest

from domain import roles
from domain.roles import (
    ADMIN, ALL_ROLES, CASHIER, CUSTOMER_SERVICE, GUIDE, OPERATOR, OWNER, PERMISSIONS, ROLE_LABELS, VERIFIER, can,
    is_store_bound, sees_only_own_guided_members,
)

COLUMNS = (OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE, GUIDE, CASHIER, VERIFIER)

# Written out by hand so a change to the permission table has to be made here too, on purpose.
#                          owner admin oper  cs    guide cashr verif
EXPECTED = {
    "backoffice.enter":   "Y     Y     Y     Y     Y     Y     .",
    "stores.manage":      "Y     Y     .     .     .     .     .",
    "staff.manage":       "Y     Y     .     .     .     .     .",
    "levels.manage":      "Y     Y     .     .     .     .     .",
    "settings.manage":    "Y     Y     .     .     .     .     .",
    "members.view":       "Y     Y     Y     Y     Y     Y     .",
    "members.create":     "Y     Y     Y     Y     Y     Y     .",
    "members.edit":       "Y     Y     Y     Y     .     .     .",
    "members.set_level":  "Y     Y     .     .     .     .     .",
    "points.adjust":      "Y     Y     Y     .     .     .     .",
    "wallet.freeze":      "Y     Y     .     .     .     .     .",
    "audit.view":         "Y     Y     .     .     .     .     .",
    "cards.manage":       "Y     Y     .     .     .     .     .",
    "cards.issue":        "Y     Y     Y     Y     .     Y     .",
    "cards.refund":       "Y     Y     .     .     .     .     .",
    "cards.loss":         "Y     Y     Y     Y     .     Y     .",
    "api_keys.manage":    "Y     Y     .     .     .     .     .",
    "reports.view":       "Y     Y     Y     .     .     .     .",
    "audiences.manage":   "Y     Y     Y     .     .     .     .",
    "sends.manage":       "Y     Y     Y     .     .     .     .",
    "sends.confirm":      "Y     Y     .     .     .     .     .",
    "campaigns.manage":   "Y     Y     .     .     .     .     .",
    "orders.refund":      "Y     Y     .     .     .     .     .",
    "recruitment.manage": "Y     Y     Y     .     .     .     .",
    "guides.reassign":    "Y     Y     .     .     .     .     .",
    "commission.manage":  "Y     Y     .     .     .     .     .",
    "card_stock.manage":  "Y     Y     .     .     .     .     .",
    "wallet.counter_topup": "Y   Y     .     .     .     Y     .",
    "points.counter_adjust": "Y  Y     Y     .     .     Y     .",
    "points_mall.exchange_for_member": "Y  Y  Y  .  .  Y  .",
}

CASES = [
    pytest.param(role, permission, mark == "Y", id=f"{role}-{permission}")
    for permission, row in EXPECTED.items()
    for role, mark in zip(COLUMNS, row.split())
]


@pytest.mark.parametrize("role, permission, allowed", CASES)
def test_may_this_role_do_this(role, permission, allowed):
    assert can(role, permission) is allowed


def test_does_the_expectation_table_cover_every_permission_and_every_role():
    assert set(EXPECTED) == set(PERMISSIONS)
    assert set(COLUMNS) == set(ALL_ROLES)
    assert all(len(row.split()) == len(COLUMNS) for row in EXPECTED.values())


@pytest.mark.parametrize("role", [OWNER, ADMIN])
def test_do_owner_and_admin_hold_every_permission(role):
    assert all(can(role, permission) for permission in PERMISSIONS)


@pytest.mark.parametrize("role", [CASHIER, GUIDE, CUSTOMER_SERVICE, VERIFIER])
def test_is_a_front_line_role_kept_from_adjusting_points(role):
    assert not can(role, "points.adjust")


def test_is_a_verifier_kept_out_of_the_back_office_entirely():
    assert [p for p in PERMISSIONS if can(VERIFIER, p)] == []


@pytest.mark.parametrize("role", ALL_ROLES)
def test_is_an_unknown_permission_denied_to_everyone(role):
    assert not can(role, "nuclear.launch")
    assert not can(role, "")


@pytest.mark.parametrize("role", ["superuser", "", None, "Owner", "OWNER"])
def test_is_an_unknown_or_miscased_role_denied_everything(role):
    assert not any(can(role, permission) for permission in PERMISSIONS)


@pytest.mark.parametrize(
    "role, bound",
    [(OWNER, False), (ADMIN, False), (OPERATOR, False), (CUSTOMER_SERVICE, False),
     (GUIDE, True), (CASHIER, True), (VERIFIER, True)],
)
def test_is_this_role_bound_to_its_assigned_stores(role, bound):
    assert is_store_bound(role) is bound


def test_are_the_store_bound_roles_exactly_guide_cashier_and_verifier():
    assert roles.STORE_BOUND_ROLES == {GUIDE, CASHIER, VERIFIER}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_does_only_a_guide_see_just_their_own_members(role):
    assert sees_only_own_guided_members(role) is (role == GUIDE)


def test_does_every_role_have_a_display_label():
    assert set(ROLE_LABELS) == set(ALL_ROLES)
    assert all(isinstance(label, str) and label for label in ROLE_LABELS.values())


def test_are_the_role_names_distinct():
    assert len(set(ALL_ROLES)) == len(ALL_ROLES) == 7
