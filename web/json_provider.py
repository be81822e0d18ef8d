"""Flask's JSON encoded and decoded by orjson: the same documents (keys sorted, datetimes as HTTP dates, Decimal,
UUID, dataclasses and Markup as Flask's provider gives them), with non-ASCII text as UTF-8 rather than \\u escapes.

The JSON API answers every till request with it; the standard library's encoder and its Python wrappers were about
3% of a checkout's CPU. A call with options orjson does not have (another indent, a custom separator) takes
Flask's own provider.
"""
import orjson
from flask.json.provider import DefaultJSONProvider

COMPACT = {"separators": (",", ":")}
INDENTED = {"indent": 2}


class OrjsonProvider(DefaultJSONProvider):
    ensure_ascii = False

    def dumps(self, obj, **kwargs):
        option = self._option(kwargs)
        if option is None:
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self.default, option=option).decode()

    def loads(self, s, **kwargs):
        if kwargs:
            return super().loads(s, **kwargs)
        return orjson.loads(s)

    def response(self, *args, **kwargs):
        obj = self._prepare_response_obj(args, kwargs)
        indented = (self.compact is None and self._app.debug) or self.compact is False
        option = self._option(INDENTED if indented else COMPACT)
        body = orjson.dumps(obj, default=self.default, option=option | orjson.OPT_APPEND_NEWLINE)
        return self._app.response_class(body, mimetype=self.mimetype)

    def _option(self, kwargs):
        """orjson's options for these json.dumps arguments, or None when only the standard library has them."""
        if kwargs and kwargs != COMPACT and kwargs != INDENTED:
            return None
        # dates and dataclasses go to Flask's default (HTTP dates, asdict), as they do without orjson
        option = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
        if self.sort_keys:
            option |= orjson.OPT_SORT_KEYS
        if kwargs == INDENTED:
            option |= orjson.OPT_INDENT_2
        return option
