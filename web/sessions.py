"""The signed cookie session, for the pages; none for the JSON API.

The API authenticates every request by its key and never keeps anything between requests, yet Flask would open
(and on the way out consider saving) the cookie session of each one: on the till's quote and payment that was
about 5% of the app's CPU. An API request gets Flask's null session, which can be read (it is empty) and refuses
to be written, so a change that starts keeping state in the API fails loudly instead of setting a cookie.
"""
from flask.sessions import SecureCookieSessionInterface

API_PREFIX = "/api/"


class PagesOnlySessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)
