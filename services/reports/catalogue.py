"""Every report family, registered by importing its module: look one up by name, or walk them all (the nightly job)."""
from services.reports import family_sales  # noqa: F401  (each import registers its families)
from services.reports import family_members  # noqa: F401
from services.reports import family_points, family_wallet  # noqa: F401
from services.reports import family_cards, family_coupons  # noqa: F401
from services.reports.families import FAMILIES


def family(name):
    return FAMILIES[name]


def all_families():
    return list(FAMILIES.values())
