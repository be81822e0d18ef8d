"""What a handler gets besides the message: the unit of work, the merchant, and how to defer slow work."""
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from services.wechat.settings import settings_for


@dataclass
class BotContext:
    session: Any
    merchant: Any
    public_base_url: str
    defer: Callable[..., None]  # defer(job, *args): runs after the commit, never inside the reply
    _settings: Any = field(default=None, repr=False)

    @property
    def settings(self):
        if self._settings is None:
            self._settings = settings_for(self.session, self.merchant.id)
        return self._settings

    @property
    def card_url(self):
        """The member card page (member H5) of this merchant."""
        return f"{self.public_base_url.rstrip('/')}/h5/{self.merchant.slug}/"

    @property
    def api_configured(self):
        return bool(self.merchant.wechat_app_id and self.merchant.wechat_app_secret)
