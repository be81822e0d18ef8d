"""Staff H5 pages on the shop floor: log in on a phone, pick the store, look up and verify coupon codes, own records.

URLs are /staff/...; every action is scoped to the signed-in staff member's merchant and their chosen store.
"""
from flask import Blueprint

blueprint = Blueprint("staff_h5", __name__, url_prefix="/staff")

from staff_h5 import views  # noqa: F401  (routes register on import)
