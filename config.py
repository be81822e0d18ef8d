"""Configuration objects. Values come from the environment; nothing here opens a connection."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSECURE_DEV_SECRET = "dev-only-insecure-secret-key"


def _database_url(raw):
    """Normalise a PostgreSQL URL to the psycopg 3 driver SQLAlchemy should use."""
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


def public_base_url(environ):
    """PUBLIC_BASE_URL, else the address `flask run` serves (its FLASK_RUN_HOST and FLASK_RUN_PORT), so the sandbox's
    callbacks and links follow a server started on another port; a server on every address is reached on loopback."""
    if environ.get("PUBLIC_BASE_URL"):
        return environ["PUBLIC_BASE_URL"]
    host = environ.get("FLASK_RUN_HOST") or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{host}:{environ.get('FLASK_RUN_PORT') or 5000}"


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEV_SECRET)
    # Fernet keys (comma separated, newest first) for merchant channel credentials.
    CREDENTIALS_KEYS = os.environ.get("CREDENTIALS_KEYS", "")
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'membership.sqlite3'}")
    )
    # A streaming replica of DATABASE_URL that reports and exports read from (services/shared/reading.py), opened
    # read-only; unset, they read the primary.
    DATABASE_REPLICA_URL = _database_url(os.environ.get("DATABASE_REPLICA_URL", ""))
    # No pre-ping: app.py replaces a pooled PostgreSQL connection the server closed, without a round trip.
    SQLALCHEMY_ENGINE_OPTIONS = {}
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # One machine with no Redis (`make run`): the periodic jobs of a minute or less apart run in a thread of the
    # serving process (jobs/schedule.py), so the sandbox shows what a scheduler and a worker would do.
    IN_PROCESS_SCHEDULER = os.environ.get("IN_PROCESS_SCHEDULER", "0") == "1"
    # Logs on stderr: "json" (one object a line, production's default) or "text"; LOG_REQUESTS=1 adds a line a
    # request. METRICS_TOKEN opens /metrics to `Authorization: Bearer <token>`; unset, to loopback addresses only.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_REQUESTS = os.environ.get("LOG_REQUESTS", "0") == "1"
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # Text answers gzip/brotli-compressed by the app (web/compression.py); 0 when the reverse proxy does it.
    COMPRESS_RESPONSES = os.environ.get("COMPRESS_RESPONSES", "1") == "1"
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MEMBERS_PER_PAGE = 20
    SANDBOX_ENABLED = os.environ.get("SANDBOX_ENABLED", "1") == "1"
    # Where the app is reachable from a phone; H5 links and OAuth redirects are built on it.
    PUBLIC_BASE_URL = public_base_url(os.environ)
    # Channel endpoints. Left empty, they point at the sandbox when it is on, at the real hosts otherwise.
    WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "")
    WECHAT_OPEN_BASE = os.environ.get("WECHAT_OPEN_BASE", "")
    ALIPAY_GATEWAY = os.environ.get("ALIPAY_GATEWAY", "")
    ALIPAY_AUTH_URL = os.environ.get("ALIPAY_AUTH_URL", "")
    WECHAT_PAY_BASE = os.environ.get("WECHAT_PAY_BASE", "")
    WECHAT_PAY_CERT_DIR = os.environ.get("WECHAT_PAY_CERT_DIR", "")  # <dir>/<mch_id>/apiclient_{cert,key}.pem
    # Seconds between the sandbox's copies of one payment notification: WeChat's retry schedule, compressed.
    SANDBOX_NOTIFY_DELAYS = tuple(int(n) for n in os.environ.get("SANDBOX_NOTIFY_DELAYS", "0,1,2,4").split(","))
    # SMS gateway name; unset means the sandbox outbox while the sandbox is on, and no sending otherwise.
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "")
    # Key of the signature on inbound SMS (replies such as T) the gateway posts; unset, derived from SECRET_KEY.
    SMS_INBOUND_SECRET = os.environ.get("SMS_INBOUND_SECRET", "")
    # The sandbox's WeChat mass API: calls a minute per app (0 or None: no limit), and seconds after a send until
    # it pushes MASSSENDJOBFINISH to the account's callback by itself (None: only the phone's button pushes it).
    SANDBOX_WECHAT_MASS_PER_MINUTE = int(os.environ.get("SANDBOX_WECHAT_MASS_PER_MINUTE", "60"))
    SANDBOX_WECHAT_MASS_REPORT_DELAY = 3
    # Percentage of marketing SMS the sandbox gateway reports delivered (decided per reference, deterministically).
    SANDBOX_SMS_DELIVERY_SHARE = int(os.environ.get("SANDBOX_SMS_DELIVERY_SHARE", "65"))
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
    # Payment notifications a merchant's URLs take per minute (0: no limit); beyond it FAIL, and the channel retries.
    NOTIFY_RATE_PER_MINUTE = int(os.environ.get("NOTIFY_RATE_PER_MINUTE", "600"))


REAL_ENDPOINTS = {
    "WECHAT_API_BASE": "https://api.weixin.qq.com/",
    "WECHAT_OPEN_BASE": "https://open.weixin.qq.com/",
    "WECHAT_PAY_BASE": "https://api.mch.weixin.qq.com/",
    "ALIPAY_GATEWAY": "https://openapi.alipay.com/gateway.do",
    "ALIPAY_AUTH_URL": "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm",
}
SANDBOX_ENDPOINTS = {
    "WECHAT_API_BASE": "/sandbox/wechat/api/",
    "WECHAT_OPEN_BASE": "/sandbox/wechat/open/",
    "WECHAT_PAY_BASE": "/sandbox/wechatpay/",
    "ALIPAY_GATEWAY": "/sandbox/alipay/gateway.do",
    "ALIPAY_AUTH_URL": "/sandbox/alipay/auth",
}


def resolve_channel_endpoints(config):
    """Fill unset endpoints: sandbox paths on PUBLIC_BASE_URL when the sandbox is on, real hosts otherwise."""
    for key, real in REAL_ENDPOINTS.items():
        if not config.get(key):
            sandbox_path = SANDBOX_ENDPOINTS[key]
            config[key] = config["PUBLIC_BASE_URL"].rstrip("/") + sandbox_path if config.get("SANDBOX_ENABLED") else real


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    LOG_REQUESTS = os.environ.get("LOG_REQUESTS", "1") == "1"
    SANDBOX_ENABLED = os.environ.get("SANDBOX_ENABLED", "0") == "1"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = False
    REDIS_URL = ""
    IN_PROCESS_SCHEDULER = False
    DATABASE_REPLICA_URL = ""
    SANDBOX_ENABLED = True
    SERVER_NAME = None
    SANDBOX_WECHAT_MASS_REPORT_DELAY = None  # tests push mass results through the report route


def config_from_env():
    """Pick the configuration class named by APP_ENV (development by default)."""
    name = os.environ.get("APP_ENV", "development").lower()
    return {"production": ProductionConfig, "test": TestConfig}.get(name, Config)
