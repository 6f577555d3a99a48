"""Integration suite: MariaDB, Redis and real ``celery -A sandbox worker`` processes."""
