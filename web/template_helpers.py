"""Jinja filters and globals: money in yuan, times in the merchant's timezone, masked phones."""
from datetime import timedelta

from flask_login import current_user

from domain.clock import DEFAULT_TIMEZONE, to_local
from domain.money import format_yuan
from domain.phone import mask_mobile


def merchant_timezone():
    merchant = getattr(current_user, "merchant", None) if current_user and current_user.is_authenticated else None
    return merchant.timezone if merchant is not None else DEFAULT_TIMEZONE


def local_time(moment, fmt="%Y-%m-%d %H:%M"):
    if moment is None:
        return ""
    return to_local(moment, merchant_timezone()).strftime(fmt)


def last_valid_day(ends_at, fmt="%Y-%m-%d"):
    """The last day a card or coupon can be used, in the merchant's timezone. `ends_at` is exclusive (valid while
    now < ends_at), so an end at midnight means the day before: 2027-06-04 00:00 shows as 2027-06-03."""
    if ends_at is None:
        return ""
    return (to_local(ends_at, merchant_timezone()) - timedelta(microseconds=1)).strftime(fmt)


def register(app):
    app.jinja_env.filters["yuan"] = format_yuan
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["mask_mobile"] = mask_mobile
    app.jinja_env.filters["last_valid_day"] = last_valid_day
    app.jinja_env.add_extension("jinja2.ext.do")
