"""The till's shared fixtures and helpers under their old name, for the modules that still import them from here.

The checkout tests live in tests/integration/till/test_checkout.py. test_direct_sql.py and test_checkout_fast_path.py
import from this module; once they import from tests.integration.till.test_checkout, delete this file. It holds no
tests, so nothing runs twice.
"""
from tests.integration.till.test_checkout import (configure, give_coupon, pay, pay_in, quote, shop,  # noqa: F401
                                                  shop_ids, top_up)
