"""Parley's one settings module.

Everything is read from the environment through the strict helpers below. With no
variables set at all, Parley runs as a single process on SQLite, the in-memory channel
layer and local files under ``var/`` — see the README for every variable.
"""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    """A boolean variable; anything but an exact true/false word is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_json(name: str, default):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} is not valid JSON") from None


DEBUG = env_bool("DJANGO_DEBUG", False)

# Files Parley writes (database, uploads, recordings, spool, keys) are private to its user:
# every process (daphne, the worker, manage.py) runs with this umask, DATA_DIR is 0700 and
# stored files 0600 (FILE_UPLOAD_PERMISSIONS below). PARLEY_UMASK=027 lets a group read them
# (e.g. a Janus running as another user that shares JANUS_RECORDINGS_DIR).
try:
    PARLEY_UMASK = int(env_str("PARLEY_UMASK", "077"), 8)
except ValueError:
    raise ImproperlyConfigured("PARLEY_UMASK must be octal, e.g. 077") from None
os.umask(PARLEY_UMASK)
DATA_DIR = Path(env_str("PARLEY_DATA_DIR") or BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o777 & ~PARLEY_UMASK)
if DATA_DIR.stat().st_uid == os.geteuid():
    DATA_DIR.chmod(DATA_DIR.stat().st_mode & 0o777 & ~PARLEY_UMASK)  # tighten an older, open var/


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once and kept in DATA_DIR.

    A short or Django-"insecure" key is refused unless DEBUG is on.
    """
    key = env_str("SECRET_KEY")
    if key:
        if not DEBUG and (key.startswith("django-insecure") or len(key) < 50):
            raise ImproperlyConfigured(
                "SECRET_KEY is too weak for DEBUG=off: use 50+ random characters."
            )
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

# Tenancy resolves hosts against the Domain table, and an unknown host gets a 404 there;
# ALLOWED_HOSTS is a second, optional fence in front of it.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_tasks_db",
    "portal",
    "meetings",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.tenancy.TenantMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.tenancy.TenantUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.plans.web.context",
                "portal.branding.context",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "portal.asgi.application"

# --- Database -------------------------------------------------------------------------
_sqlite_path = DATA_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL", default=f"sqlite:///{_sqlite_path}", conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE let the ASGI server and the task worker share one file safely.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so live-server tests can share the test database with daphne.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
elif env_str("PARLEY_TEST_DB_NAME"):
    # Lets several test runs share one PostgreSQL server without sharing a test database.
    DATABASES["default"]["TEST"] = {"NAME": env_str("PARLEY_TEST_DB_NAME")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Connections are reused, never opened per request or per socket frame: psycopg's pool
    # (DB_POOL_MAX per process; CONN_MAX_AGE must then be 0), or with DB_POOL=0 persistent
    # connections kept DB_CONN_MAX_AGE seconds and health-checked. See docs/operations.md.
    if env_bool("DB_POOL", True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 1), "max_size": env_int("DB_POOL_MAX", 8), "timeout": 10,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Pub/sub, not the list-based core layer: room frames cross processes once per process
    # (one PUBLISH per frame, strictly ordered) and nothing is left queued for a process that
    # died. Measured in docs/benchmarks.md ("Realtime fan-out"); reasons in docs/protocol.md.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # Time-outs: a paused Redis fails a publish in seconds instead of hanging the relay.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 2, "socket_connect_timeout": 2}],
                "prefix": env_str("CHANNEL_PREFIX", "parley"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache (brute-force counters; portal.accounts.throttle) ---------------------------------------
# Shared by every process through Redis when REDIS_URL is set; per process otherwise.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": f"{env_str('CHANNEL_PREFIX', 'parley')}:throttle",
         "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2}}
        if REDIS_URL else
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
# Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated); nobody else's.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# --- Storage ------------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or DATA_DIR / "media")
MEDIA_URL = "/media/"  # never served publicly; files go through authorised views
STATIC_URL = "/static/"
# Collected static files are public (nginx's workers serve them in the production path), so they
# live outside the private DATA_DIR and are written world-readable whatever PARLEY_UMASK says.
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATIC_ROOT.mkdir(exist_ok=True)
STATIC_ROOT.chmod(0o755)
# Browser libraries come from npm (package.json + package-lock.json, installed by `make install`)
# and are served as /static/vendor/<name>/…; only the folders named here are exposed.
NODE_MODULES = BASE_DIR / "node_modules"
PARLEY_VENDOR = {
    "konva": "konva",
    "chart.js": "chart.js/dist",
    "speech-sdk": "microsoft-cognitiveservices-speech-sdk/distrib/browser",
    "rnnoise": "@shiguredo/rnnoise-wasm/dist",
    "selfie-segmentation": "@mediapipe/selfie_segmentation",
}
STATICFILES_DIRS = [
    BASE_DIR / "static",
    *((f"vendor/{name}", NODE_MODULES / path) for name, path in PARLEY_VENDOR.items()
      if (NODE_MODULES / path).is_dir()),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 300),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}

# --- Background tasks ------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Accounts ------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = ["portal.accounts.backends.TenantEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute force (portal.accounts.throttle): per client address, and failed passwords per account.
AUTH_THROTTLE_RATE = env_str("AUTH_THROTTLE_RATE", "30/min")
LOGIN_ACCOUNT_FAILURES = max(1, env_int("LOGIN_ACCOUNT_FAILURES", 10))
LOGIN_ACCOUNT_WINDOW_SECONDS = max(1, env_int("LOGIN_ACCOUNT_WINDOW_SECONDS", 15 * 60))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Email is unique per tenant, not globally; the tenant-aware backend resolves logins.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.accounts.tokens.TenantJWTAuthentication",
        "portal.accounts.tokens.CsrfSessionAuthentication",
    ],
    # Every API view declares the plan feature it belongs to (portal.plans.api); none → 403.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.plans.api.PlanFeaturePermission",
    ],
    "DEFAULT_PARSER_CLASSES": [
        # JSON and forms through one gate: depth, NUL, surrogates, finite numbers (portal.api).
        "portal.api.StrictJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "portal.api.StrictFormParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("AUTH_THROTTLE_RATE", "30/min")},
    "NUM_PROXIES": 0,  # never read: portal.net.client_ip decides (TRUSTED_PROXIES)
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_LIFETIME_SECONDS", 12 * 3600)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_TOKEN_CLASSES": ("portal.accounts.tokens.TenantAccessToken",),
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Parley Meet API",
    "DESCRIPTION": "Wire-compatible Conference (Meet) API: rooms, meetings, recordings, "
    "files, transcripts, summaries and analytics, scoped to the request's tenant.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets are served from this install, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # portal.converters: path ids the resolver accepts (anything else is a 404 before a view).
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
        "recid": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,100}$"},
    },
}

# --- Plans and email ---------------------------------------------------------------------------------
# The plan a new tenant starts on (docs/plans.md); set_plan and the admin change it afterwards.
PARLEY_DEFAULT_PLAN = env_str("PARLEY_DEFAULT_PLAN", "professional")
if PARLEY_DEFAULT_PLAN not in ("essential", "professional"):
    raise ImproperlyConfigured(f"PARLEY_DEFAULT_PLAN={PARLEY_DEFAULT_PLAN!r}: use essential or professional")
# Emails go through Django's default mailer: SMTP once EMAIL_HOST is set, else the file backend
# (one .log file per message under $EMAIL_FILE_PATH, var/mail by default) or, with
# EMAIL_BACKEND=console, standard output. Meeting invitations always go out this way;
# plan-change notices to tenant staff only once SMTP is configured (EMAIL_ENABLED).
EMAIL_ENABLED = bool(env_str("EMAIL_HOST"))
_EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(DATA_DIR / "mail")
_EMAIL_BACKEND = env_str("EMAIL_BACKEND") or ("smtp" if EMAIL_ENABLED else "file")
if _EMAIL_BACKEND not in ("smtp", "file", "console"):
    raise ImproperlyConfigured(f"EMAIL_BACKEND={_EMAIL_BACKEND!r}: use smtp, file or console")
_MAIL_OPTIONS = {
    "smtp": {
        "host": env_str("EMAIL_HOST", "localhost"), "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"), "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
    },
    "file": {"file_path": _EMAIL_FILE_PATH},
    "console": {},
}
MAILERS = {
    "default": {
        "BACKEND": f"django.core.mail.backends.{'filebased' if _EMAIL_BACKEND == 'file' else _EMAIL_BACKEND}"
                   ".EmailBackend",
        "OPTIONS": _MAIL_OPTIONS[_EMAIL_BACKEND],
    },
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Parley <no-reply@localhost>")
if not env_str("EMAIL_BACKEND") and not EMAIL_ENABLED:
    # The zero-configuration default keeps mail on the server (var/mail) rather than failing:
    # `check --deploy` would call the file backend an error; setting EMAIL_HOST sends real mail.
    SILENCED_SYSTEM_CHECKS.append("mail.E001")

# --- Product limits and integrations ------------------------------------------------------------
ROOM_TOKEN_TTL_SECONDS = env_int("ROOM_TOKEN_TTL_SECONDS", 4 * 3600)
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o666 & ~PARLEY_UMASK
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o777 & ~PARLEY_UMASK
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
WS_MAX_FRAME_BYTES = env_int("WS_MAX_FRAME_BYTES", 64 * 1024)
WS_RATE_PER_SECOND = env_int("WS_RATE_PER_SECOND", 300)
# Chat and transcript lines (realtime.chatlog): stored in batches of up to CHAT_BATCH_MAX in one
# transaction; a socket may have CHAT_WINDOW lines waiting to be stored before it is slowed
# (its frames held, an error 'slow_down' sent); CHAT_QUEUE_MAX lines wait per process at most.
CHAT_BATCH_MAX = env_int("CHAT_BATCH_MAX", 256)
CHAT_WINDOW = env_int("CHAT_WINDOW", 32)
CHAT_QUEUE_MAX = env_int("CHAT_QUEUE_MAX", 4096)
WS_ALLOWED_ORIGINS = env_list("WS_ALLOWED_ORIGINS", [])
# daphne refuses WebSocket messages over 1 MiB by default, so a chunk stays below that.
RECORDING_MAX_CHUNK_BYTES = env_int("RECORDING_MAX_CHUNK_BYTES", 1024 * 1024 - 1024)
RECORDING_MAX_BYTES = env_int("RECORDING_MAX_BYTES", 4 * 1024 * 1024 * 1024)
RECORDING_PROCESSING_LEASE_SECONDS = env_int("RECORDING_PROCESSING_LEASE_SECONDS", 120)
# A recording nobody wrote to for this long (its client crashed) is finished from what was
# acknowledged (partial) or failed, so that it no longer blocks its room (issue 10).
RECORDING_ABANDON_SECONDS = max(30, env_int("RECORDING_ABANDON_SECONDS", 600))
RECORDING_URL_TTL_SECONDS = env_int("RECORDING_URL_TTL_SECONDS", 6 * 3600)
RECORDING_FFMPEG = env_str("RECORDING_FFMPEG", "ffmpeg")
RECORDING_FFPROBE = env_str("RECORDING_FFPROBE", "ffprobe")
RECORDING_FFMPEG_TIMEOUT_SECONDS = env_int("RECORDING_FFMPEG_TIMEOUT_SECONDS", 3 * 3600)
RECORDING_X264_PRESET = env_str("RECORDING_X264_PRESET", "veryfast")
WS_PRESENCE_TTL_SECONDS = max(2, env_int("WS_PRESENCE_TTL_SECONDS", 30))
# A quiet room's meta and whiteboard are forgotten this long after its last change (memory and Redis).
WS_ROOM_STATE_TTL_SECONDS = max(60, env_int("WS_ROOM_STATE_TTL_SECONDS", 24 * 3600))
GEOIP_PATH = env_str("GEOIP_PATH")
ICE_SERVERS = env_json("ICE_SERVERS", [])
# Media plane (docs/media.md): the mesh for small p2p rooms, Janus (an SFU) for the rest.
MESH_MAX_PARTICIPANTS = max(2, env_int("MESH_MAX_PARTICIPANTS", 4))
JANUS_URLS = env_list("JANUS_URL", [])  # Janus' WebSocket API; several (comma-separated) spread rooms
JANUS_API_SECRET = env_str("JANUS_API_SECRET")
JANUS_REQUEST_TIMEOUT_SECONDS = max(1, env_int("JANUS_REQUEST_TIMEOUT_SECONDS", 10))
JANUS_RECORDINGS_DIR = env_str("JANUS_RECORDINGS_DIR") or str(DATA_DIR / "janus-recordings")
JANUS_PP_REC = env_str("JANUS_PP_REC", "janus-pp-rec")
SFU_PUBLISHER_BITRATE = env_int("SFU_PUBLISHER_BITRATE", 2_000_000)
# TURN REST API (coturn's use-auth-secret): time-limited credentials minted per connection.
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = env_str("TURN_SECRET")
TURN_TTL_SECONDS = max(60, env_int("TURN_TTL_SECONDS", 6 * 3600))
AZURE_SPEECH_KEY = env_str("AZURE_SPEECH_KEY")
AZURE_SPEECH_REGION = env_str("AZURE_SPEECH_REGION")
AZURE_SPEECH_TOKEN_URL = env_str("AZURE_SPEECH_TOKEN_URL")
# Live captions (docs/captions.md): the browser's Azure Speech SDK when Azure is configured,
# else a recogniser on the server: an OpenAI-compatible /v1/audio/transcriptions endpoint
# when TRANSCRIBE_URL is set, else PocketSphinx (its wheel ships an English model).
TRANSCRIBE_URL = env_str("TRANSCRIBE_URL")
TRANSCRIBE_KEY = env_str("TRANSCRIBE_KEY")
TRANSCRIBE_MODEL = env_str("TRANSCRIBE_MODEL", "whisper-1")
TRANSCRIBE_LANGUAGE = env_str("TRANSCRIBE_LANGUAGE", "en")
TRANSCRIBE_TIMEOUT = env_int("TRANSCRIBE_TIMEOUT", 30)
CAPTIONS_WORKERS = max(1, env_int("CAPTIONS_WORKERS", 2))
CAPTIONS_BACKLOG = max(1, env_int("CAPTIONS_BACKLOG", 8))
CAPTIONS_MAX_STREAMS = max(1, env_int("CAPTIONS_MAX_STREAMS", 32))
CAPTIONS_MAX_FRAME_BYTES = env_int("CAPTIONS_MAX_FRAME_BYTES", 32000)
CAPTIONS_MAX_UTTERANCE_SECONDS = max(2, env_int("CAPTIONS_MAX_UTTERANCE_SECONDS", 12))
SUMMARY_LLM_URL = env_str("SUMMARY_LLM_URL")
SUMMARY_LLM_KEY = env_str("SUMMARY_LLM_KEY")
SUMMARY_LLM_MODEL = env_str("SUMMARY_LLM_MODEL", "gpt-4o-mini")
SUMMARY_LLM_TIMEOUT = env_int("SUMMARY_LLM_TIMEOUT", 30)

# --- Security -------------------------------------------------------------------------------
# Content-Security-Policy on every response (Django's middleware): scripts only from this site
# (ES modules under /static, npm libraries under /static/vendor; no inline script, no eval —
# WebAssembly compilation only, for the noise filter), no inline styles, no plugins, no framing.
# The compositor's timer runs in a blob: worker; recordings may come from S3 (media-src);
# Azure's speech SDK talks to Microsoft (connect-src) when Azure is configured.
from django.utils.csp import CSP  # noqa: E402

_csp_connect = [CSP.SELF]
if env_str("AZURE_SPEECH_KEY"):
    _csp_connect += ["https://*.microsoft.com", "wss://*.microsoft.com"]
_csp_media = [CSP.SELF, "blob:"]
if env_str("AWS_STORAGE_BUCKET_NAME"):
    _csp_media += [env_str("AWS_S3_ENDPOINT_URL") or "https://*.amazonaws.com"]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.WASM_UNSAFE_EVAL],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": _csp_media,
    "connect-src": _csp_connect + env_list("CSP_CONNECT_SRC", []),
    "worker-src": [CSP.SELF, "blob:"],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
