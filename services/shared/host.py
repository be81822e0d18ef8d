"""What use cases need from the application that hosts them: its secret, its settings, and links into its pages.

Services never import Flask: the application installs a `Host` when it is created (web/host.py reads Flask's
config and URL map), and a job worker runs inside that application. A service asks here, and a test may install
a host of its own.
"""
from typing import Protocol


class Host(Protocol):
    def secret_key(self) -> str: ...

    def setting(self, name: str, default=None): ...

    def external_url(self, endpoint: str, **values) -> str: ...

    def path(self, endpoint: str, **values) -> str: ...


_installed = None


def install(host):
    """Called by the application factory; the last application created answers for the process."""
    global _installed
    _installed = host


def _host():
    if _installed is None:
        raise RuntimeError("no application is installed: services run inside create_app()'s application")
    return _installed


def secret_key():
    return _host().secret_key()


def setting(name, default=None):
    return _host().setting(name, default)


def external_url(endpoint, **values):
    """An absolute link (PUBLIC_BASE_URL + the route), built without a request: jobs run outside one."""
    return _host().external_url(endpoint, **values)


def path(endpoint, **values):
    """The route's path on this server, for a page the member's browser opens."""
    return _host().path(endpoint, **values)
