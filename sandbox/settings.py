"""
Sandbox settings: a stand-in LMS that loads openedx-microcred through its ``lms.djangoapp`` entry
point with edx-django-utils, exactly as edx-platform does; the app is never listed by hand.

Defaults: SQLite and Celery tasks run eagerly in-process. Environment variables switch to the
production-like stack:

* ``MICROCRED_DB=mysql`` — MariaDB/MySQL at ``MICROCRED_DB_HOST`` (127.0.0.1), ``MICROCRED_DB_PORT``
  (3306), ``MICROCRED_DB_USER`` (root), ``MICROCRED_DB_PASSWORD`` (empty), ``MICROCRED_DB_NAME``
  (microcred).
* ``MICROCRED_BROKER_URL=redis://127.0.0.1:6379/0`` — a real broker; tasks then run in
  ``celery -A sandbox worker`` processes.
"""
import os
from pathlib import Path

from edx_django_utils.plugins import add_plugins, get_plugin_apps

from .jwt import jwt_keys

PROJECT_TYPE = os.environ.get("MICROCRED_PROJECT_TYPE", "lms.djangoapp")
BASE_DIR = Path(__file__).resolve().parent
DEBUG = os.environ.get("MICROCRED_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("MICROCRED_SECRET_KEY", "sandbox-only-not-a-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = "sandbox.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SERVICE_VARIANT = "lms"  # openedx-events names the event source after it
EVENTS_SERVICE_NAME = "sandbox"
LMS_ROOT_URL = os.environ.get("MICROCRED_LMS_ROOT_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "sandbox",
] + get_plugin_apps(PROJECT_TYPE)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

if os.environ.get("MICROCRED_DB") == "mysql":
    # PyMySQL (pure Python: nothing to compile) serves Django's MySQL backend as ``MySQLdb``.
    import pymysql

    pymysql.install_as_MySQLdb()
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.mysql",
        "HOST": os.environ.get("MICROCRED_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("MICROCRED_DB_PORT", "3306"),
        "USER": os.environ.get("MICROCRED_DB_USER", "root"),
        "PASSWORD": os.environ.get("MICROCRED_DB_PASSWORD", ""),
        "NAME": os.environ.get("MICROCRED_DB_NAME", "microcred"),
        "OPTIONS": {"charset": "utf8mb4"},
        "TEST": {"NAME": os.environ.get("MICROCRED_DB_TEST_NAME", "test_microcred"),
                 "CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    }}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("MICROCRED_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
    }}

# Celery: eager in-process unless a broker is configured.
# REST API authentication as in the LMS: JWTs signed with the LMS's asymmetric key (header or the
# cookie the MFEs send) and the session. edx-drf-extensions accepts a JWT with ANY signature when
# JWT_PUBLIC_SIGNING_JWK_SET is empty, so the sandbox always has one: a key pair made per process
# unless MICROCRED_JWT_PRIVATE_JWK gives one (a JSON JWK with its private part).
JWT_AUTH = {
    "JWT_ISSUERS": [{"ISSUER": f"{LMS_ROOT_URL}/oauth2", "AUDIENCE": "sandbox",
                     "SECRET_KEY": None}],
    "JWT_ALGORITHM": "RS512",
    "JWT_SIGNING_ALGORITHM": "RS512",
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_AUTH_COOKIE": "edx-jwt-cookie",
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
    **jwt_keys(os.environ.get("MICROCRED_JWT_PRIVATE_JWK")),
}

CELERY_BROKER_URL = os.environ.get("MICROCRED_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = "MICROCRED_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"openedx_microcred": {"handlers": ["console"], "level": "WARNING"}},
}

# Learner emails: written as files under sandbox/mail/ (one file per email), unless
# MICROCRED_EMAIL_BACKEND names another (``django.core.mail.backends.console.EmailBackend``).
EMAIL_BACKEND = os.environ.get("MICROCRED_EMAIL_BACKEND",
                               "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("MICROCRED_EMAIL_FILE_PATH", str(BASE_DIR / "mail"))
DEFAULT_FROM_EMAIL = "microcred@sandbox.invalid"

# Anonymous users of the LMS and Studio pages are sent to the sign-in page (the demo prints one
# learner login); learners land on their page.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/microcred/"
LOGOUT_REDIRECT_URL = "/"

# Learners' language preferences (``pref-lang``), as the LMS keeps them.
MICROCRED_STANDALONE_PREFERENCE_MODEL = "sandbox.UserPreference"

# The plugin's settings, injected the way edx-platform does for its own settings modules.
add_plugins(__name__, PROJECT_TYPE, "common")
if os.environ.get("MICROCRED_SETTINGS_TYPE") == "production":
    add_plugins(__name__, PROJECT_TYPE, "production")
