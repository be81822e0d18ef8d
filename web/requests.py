"""What every blueprint reads off a request the same way: the client's address and a fresh idempotency key."""
import secrets

from flask import request


def client_ip():
    """The peer address. Deployments behind a proxy apply ProxyFix (PROXY_HOPS), so forwarded headers are never
    trusted here: a client cannot choose the address its rate limits count against."""
    return (request.remote_addr or "")[:45] or None


def new_idempotency_key(prefix):
    """A key minted when a form is shown, so a double submit applies once."""
    return f"{prefix}:{secrets.token_urlsafe(16)}"
