"""Django settings for Photoshare, read from the environment in this one module.

Every variable is listed, with its default, in ``.env.example``. ``PHOTOSHARE_BACKEND`` chooses the
runtime: ``local`` (the default: SQLite and files under ``var/``) or ``aws``. Bad values fail at
start-up through :mod:`photoshare.env`.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from photoshare.env import Env
from photoshare.secret_key import require_strong_secret_key
from photoshare.task_address import task_addresses
from processing.runtime import ConfigurationError, PipelineConfig

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

# --- Runtime -------------------------------------------------------------------------------------

# What the web app shares with the pipeline (backend, var/ folder, bucket, table, region, state
# machine, upload limits...) is read by the pipeline's own reader, so the names, defaults and
# checks exist once; the app reaches it through albums.pipeline.pipeline_config().
try:
    PHOTOSHARE_PIPELINE = PipelineConfig.from_environment()
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
_BACKEND = PHOTOSHARE_PIPELINE.backend
# All local state (database, media, mail, generated secret) lives under one folder.
VAR_DIR = PHOTOSHARE_PIPELINE.var_dir

DEBUG = env.bool("PHOTOSHARE_DEBUG", False)


def _local_secret_key(path: Path) -> str:
    """A key generated once per checkout, so `make run` needs no configuration.

    Only the local runtime may do this: a deployed app must be given its key, or sessions would not
    survive a redeploy and several servers would disagree.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


if env.is_set("PHOTOSHARE_SECRET_KEY"):
    SECRET_KEY = env.str("PHOTOSHARE_SECRET_KEY")
    _SECRET_KEY_SOURCE = "PHOTOSHARE_SECRET_KEY"
elif _BACKEND == "local":
    SECRET_KEY = _local_secret_key(VAR_DIR / "secret_key")
    _SECRET_KEY_SOURCE = f"The secret key in {VAR_DIR / 'secret_key'}"
else:
    raise ImproperlyConfigured("PHOTOSHARE_SECRET_KEY must be set when PHOTOSHARE_BACKEND=aws.")
# A weak key lets anyone forge sessions and password-reset links. Debug mode (a developer's own
# machine, never reachable by others) may use any key of the length checked before this rule.
if not DEBUG:
    require_strong_secret_key(SECRET_KEY, source=_SECRET_KEY_SOURCE)
elif len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(f"{_SECRET_KEY_SOURCE} must be at least 50 characters long.")

ALLOWED_HOSTS = env.list("PHOTOSHARE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
# On ECS Fargate (infra/web-fargate.yaml) the load balancer checks each task's health with the
# task's private address as its host, unknown until the task starts: ECS tells each container. From
# outside, only the stack's own host names get through the load balancer's listener rules.
if env.bool("PHOTOSHARE_ALLOW_TASK_ADDRESS", False):
    ALLOWED_HOSTS += task_addresses(env.str("ECS_CONTAINER_METADATA_URI_V4"))
CSRF_TRUSTED_ORIGINS = env.list("PHOTOSHARE_CSRF_TRUSTED_ORIGINS", [])

# --- Upload limits (enforced by the upload tickets and again by the pipeline) ------------------

# The upload limits (PHOTOSHARE_MAX_UPLOAD_BYTES, _PIXELS) are PHOTOSHARE_PIPELINE.limits.
# How long an upload ticket (presigned POST) and a presigned GET URL stay valid, in seconds.
PHOTOSHARE_UPLOAD_TICKET_SECONDS = env.int("PHOTOSHARE_UPLOAD_TICKET_SECONDS", 900, minimum=10)
PHOTOSHARE_URL_SECONDS = env.int("PHOTOSHARE_URL_SECONDS", 3600, minimum=10)
# Days a rejected photo's original is kept (for its owner to look at) before
# `manage.py purge_rejected` deletes it; the photo and its reason stay.
PHOTOSHARE_REJECTED_RETENTION_DAYS = env.int("PHOTOSHARE_REJECTED_RETENTION_DAYS", 7, minimum=0)
# aws mode: the stack's outputs (docs/deploy.md), in PHOTOSHARE_PIPELINE. The default bucket
# name is the local one; a deployment must name its own.
if _BACKEND == "aws" and not env.is_set("PHOTOSHARE_BUCKET"):
    raise ImproperlyConfigured("PHOTOSHARE_BUCKET must be set when PHOTOSHARE_BACKEND=aws.")
# Local mode serves its "S3" under this path: the upload endpoint and presigned GETs.
PHOTOSHARE_LOCAL_S3_PREFIX = "/local-s3/"

# --- Applications --------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "accounts",
    "albums",
]

MIDDLEWARE = [
    # Outermost, so every response carries the policy, whatever answered it.
    "photoshare.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise serves the hashed, compressed static files straight from the WSGI server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Private by default: every view needs a signed-in user unless marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "photoshare.urls"
WSGI_APPLICATION = "photoshare.wsgi.application"

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
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------


def _database_url() -> str:
    """DATABASE_URL, or one composed from PHOTOSHARE_DB_* parts, or SQLite under var/.

    The parts exist for hosts that hand over credentials one value at a time: App Runner passes
    the user name and password of RDS's own secret (a JSON document) as two variables
    (infra/web.yaml). Joining them here quotes each part, because the password RDS generates may
    hold characters that mean something in a URL.
    """
    if env.is_set("PHOTOSHARE_DB_HOST"):
        if env.is_set("DATABASE_URL"):
            raise ImproperlyConfigured("Set DATABASE_URL or PHOTOSHARE_DB_HOST, not both.")
        user, password = env.str("PHOTOSHARE_DB_USER"), env.str("PHOTOSHARE_DB_PASSWORD")
        host = env.str("PHOTOSHARE_DB_HOST")
        port = env.int("PHOTOSHARE_DB_PORT", 5432, minimum=1)
        name = env.str("PHOTOSHARE_DB_NAME", "photoshare")
        # A host is a name or a socket folder (/run/postgresql), quoted like the rest.
        parts = [quote(part, safe="") for part in (user, password, host, name)]
        return "postgres://{}:{}@{}:{port}/{}".format(*parts, port=port)
    return env.str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'photoshare.sqlite3'}")


DATABASES = {
    "default": dj_database_url.parse(
        _database_url(),
        conn_max_age=env.int("PHOTOSHARE_DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web workers read while another process writes; IMMEDIATE transactions take the
    # write lock up front so concurrent writers wait (busy timeout) instead of failing mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tests use a file as well: an in-memory database shared by the live server's threads fails
    # with "table is locked" at once, where a file in WAL mode waits its turn as in production.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"photoshare-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------------------------

# The cache holds allauth's rate-limit counters, so it must be one store shared by every web
# process and kept across restarts: per-process memory would let each gunicorn worker count on its
# own (several times the configured tries) and forget them all at a restart. Django's database
# cache lives in the same database as everything else (SQLite locally, PostgreSQL in a deployment),
# so it needs nothing more to run; its table is created by a migration (accounts/0002). Its add()
# is an INSERT, so allauth's lock on a counter holds across processes too.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "photoshare_cache",
        # Culling at the default 300 entries would let a flood of sign-up attempts evict the
        # counters of a lockout in progress.
        "OPTIONS": {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 4},
    }
}

# --- Accounts (django-allauth, e-mail only) ------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Photoshare] "
ACCOUNT_PRESERVE_USERNAME_CASING = False
# allauth's defaults, spelled out because the tests and docs promise them: per client address and
# per e-mail address ("key"). They hold across processes because the cache is shared (see CACHES).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "albums:list"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail --------------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env.str("PHOTOSHARE_FROM_EMAIL", "Photoshare <noreply@photoshare.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.is_set("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", True)
else:
    # No mail server: each message becomes a file a person can open, and the log says which.
    EMAIL_BACKEND = "photoshare.mail.MaildirBackend"
    PHOTOSHARE_MAIL_DIR = VAR_DIR / "mail"

# --- Internationalisation ------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("PHOTOSHARE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns at every start while its root is missing (before the first collectstatic).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security ------------------------------------------------------------------------------------

# Behind HTTPS (any deployment reachable by others) every cookie is secure and HSTS is on. Local
# mode serves plain HTTP on 127.0.0.1, where secure cookies would make logging in impossible.
PHOTOSHARE_HTTPS = env.bool("PHOTOSHARE_HTTPS", False)
SESSION_COOKIE_SECURE = PHOTOSHARE_HTTPS
CSRF_COOKIE_SECURE = PHOTOSHARE_HTTPS
# The app's own redirect to HTTPS, unless a load balancer in front redirects already and checks the
# app's health over plain HTTP, which a redirect would fail (infra/web-fargate.yaml); check
# --deploy's warning about it is then silenced, as the redirect happens in front of the app.
SECURE_SSL_REDIRECT = env.bool("PHOTOSHARE_SSL_REDIRECT", PHOTOSHARE_HTTPS)
if PHOTOSHARE_HTTPS and not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
SECURE_HSTS_SECONDS = env.int("PHOTOSHARE_HSTS_SECONDS", 31_536_000 if PHOTOSHARE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PHOTOSHARE_HTTPS
SECURE_HSTS_PRELOAD = PHOTOSHARE_HTTPS
PHOTOSHARE_BEHIND_PROXY = env.bool("PHOTOSHARE_BEHIND_PROXY", False)
if PHOTOSHARE_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The rate limits count per client address. Behind a proxy every request comes from the proxy's
# address, so allauth must take the client's from X-Forwarded-For, trusting exactly as many hops
# as there are proxies of ours (one load balancer: 1); a hop more would let anyone pick their own
# address by sending the header, a hop fewer would put every visitor behind one address.
ALLAUTH_TRUSTED_PROXY_COUNT = (
    env.int("PHOTOSHARE_TRUSTED_PROXY_COUNT", 1, minimum=1) if PHOTOSHARE_BEHIND_PROXY else 0
)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (photoshare/csp.py): the site's own files only. No page has an inline
# script, style element or style attribute (labels are placed and album covers coloured from
# static files), so nothing needs 'unsafe-inline' or a nonce. In aws mode the middleware adds the
# bucket's origin to img-src and connect-src. The shape of Django 6.0's setting of this name.
_SELF, _NONE = "'self'", "'none'"
SECURE_CSP = {
    "default-src": [_SELF],
    "script-src": [_SELF],
    "style-src": [_SELF],
    "img-src": [_SELF],
    "connect-src": [_SELF],
    "form-action": [_SELF],
    "frame-ancestors": [_NONE],
    "base-uri": [_NONE],
    "object-src": [_NONE],
}

# --- Logging -------------------------------------------------------------------------------------

_LOG_LEVELS = ("debug", "info", "warning", "error")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env.choice("PHOTOSHARE_LOG_LEVEL", _LOG_LEVELS, "info").upper(),
    },
    "loggers": {"django": {"level": "INFO", "propagate": True}},
}
