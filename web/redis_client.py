"""The Redis client the request-side counters share (sign-in and look-up limits, notification rates, callback
replays): one per URL and process, with short timeouts so a slow Redis delays a request by seconds, not minutes,
and the callers fall back to the database."""
from flask import current_app
from redis import Redis


def shared():
    """The client for REDIS_URL, or None in the embedded mode (no REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault("request_redis", {})
    if url not in clients:
        clients[url] = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return clients[url]
