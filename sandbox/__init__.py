"""A minimal host project that loads the plugin the way the LMS does."""
from .celery import app as celery_app

__all__ = ["celery_app"]
