"""Clients for WeChat, Alipay and SMS. Base URLs come from config: the sandbox in development, the real hosts in production."""
