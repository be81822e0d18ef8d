"""Handlers by message type and by event, independent of Flask (in the manner of WeRoBot's robot).

    bot = Registry()

    @bot.message("text")
    def on_text(message, ctx): return "reply text"   # or a wechatpy reply, or None

    @bot.event("subscribe", "subscribe_scan")
    def on_subscribe(message, ctx): ...

`dispatch` finds the handler for a parsed wechatpy message and renders what it returns as reply XML
('' when there is nothing to say, which the view answers as "success").
"""
from wechatpy.replies import BaseReply, create_reply


class Registry:
    def __init__(self):
        self._messages, self._events = {}, {}
        self._fallback = None

    def message(self, *types):
        return self._register(self._messages, types)

    def event(self, *events):
        return self._register(self._events, events)

    def fallback(self, handler):
        self._fallback = handler
        return handler

    @staticmethod
    def _register(table, names):
        def decorate(handler):
            for name in names:
                table[name.lower()] = handler
            return handler

        return decorate

    def handler_for(self, message):
        if message.type == "event":
            handler = self._events.get((getattr(message, "event", "") or "").lower())
        else:
            handler = self._messages.get(message.type)
        return handler or self._fallback

    def dispatch(self, message, ctx):
        handler = self.handler_for(message)
        reply = handler(message, ctx) if handler is not None else None
        return render(reply, message)


def render(reply, message):
    if reply is None or reply == "":
        return ""
    if not isinstance(reply, BaseReply):
        reply = create_reply(reply, message)
    return reply.render()
