"""Text answers compressed for clients that accept it (Flask-Compress): pages, stylesheets, scripts, JSON and SVG
over 500 bytes, brotli where the client takes it, else gzip. A member page's first load over a phone's network is
mostly text (WeUI's stylesheet and the page's scripts), a fifth of its size once compressed.

- Static and vendored files are sent as streams and compressed as they stream; their ETag gains the encoding
  (`"<etag>:br"`), so a conditional request is still answered 304 and a cache never mixes the two forms.
- Downloads (CSV, XLSX), images and the Prometheus text are not in the list and pass untouched; no endpoint
  streams events, so nothing waits on a compressor's buffer.
- A reverse proxy that compresses already may do it instead: COMPRESS_RESPONSES=0 and the app leaves it to it.
"""
import functools

from flask_compress import Compress

TEXT_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
              "image/svg+xml"]
# Brotli at its default quality 4 is as fast as gzip 6 and a fifth smaller on these files; every phone browser
# WeChat and Alipay embed takes one of the two. Streams may be gzip too (Flask-Compress leaves it out by default).
ALGORITHMS = ["br", "gzip"]


def install(app):
    """Installed early, so its after-request hook runs after the others have set the final body and headers."""
    for key, value in (("COMPRESS_MIMETYPES", TEXT_TYPES), ("COMPRESS_ALGORITHM", ALGORITHMS),
                       ("COMPRESS_ALGORITHM_STREAMING", ALGORITHMS), ("COMPRESS_MIN_SIZE", 500)):
        app.config.setdefault(key, value)
    app.config["COMPRESS_REGISTER"] = False  # its hook is wrapped below
    compress = Compress(app)
    if app.config.get("COMPRESS_RESPONSES", True):
        app.after_request(functools.partial(_compress_and_keep_closing, compress))


def _compress_and_keep_closing(compress, response):
    """Flask-Compress swaps a streamed file for its compressor and forgets the file: close it with the response,
    as the server would have closed the file itself."""
    body = response.response
    response = compress.after_request(response)
    if response.response is not body and hasattr(body, "close"):
        response.call_on_close(body.close)
    return response
