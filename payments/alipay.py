"""Placeholder replaced by the alipay payment helper."""


def start(merchant, order):
    raise NotImplementedError
