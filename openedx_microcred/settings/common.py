"""
Defaults for every environment. Each setting is documented where it is defined; read them through
``openedx_microcred.conf.setting``, never with ``getattr(settings, …)`` elsewhere.
"""

DEFAULTS = {
    # .. setting_name: MICROCRED_REVOKE_ON_REGRESSION
    # .. setting_default: False
    # .. setting_description: Revoke a learner's credential when a later event (a failing grade, a
    #   revoked certificate) means the programme is no longer complete. Off by default: a credential
    #   records what was earned at issuance.
    "MICROCRED_REVOKE_ON_REGRESSION": False,
    # .. setting_name: MICROCRED_PLATFORM_BACKEND
    # .. setting_default: "openedx_microcred.platform.standalone"
    # .. setting_description: Dotted path of the module that reaches edx-platform internals (user
    #   names, the LMS root URL). ``openedx_microcred.platform.edxapp`` inside the LMS.
    "MICROCRED_PLATFORM_BACKEND": "openedx_microcred.platform.standalone",
    # .. setting_name: MICROCRED_MAX_DEFINITION_BYTES
    # .. setting_default: 1048576
    # .. setting_description: Largest programme XML definition accepted by the importer.
    "MICROCRED_MAX_DEFINITION_BYTES": 1024 * 1024,
    # .. setting_name: MICROCRED_BACKFILL_BATCH_SIZE
    # .. setting_default: 500
    # .. setting_description: Learners re-evaluated per batch (and per checkpoint) by
    #   ``microcred_backfill``.
    "MICROCRED_BACKFILL_BATCH_SIZE": 500,
    # .. setting_name: MICROCRED_TASK_MAX_RETRIES
    # .. setting_default: 5
    # .. setting_description: Retries of an evaluation task after a transient database error
    #   (deadlock, lost connection), with exponential backoff and jitter.
    "MICROCRED_TASK_MAX_RETRIES": 5,
    # .. setting_name: MICROCRED_ISSUER_HOST
    # .. setting_default: "" (the host of LMS_ROOT_URL)
    # .. setting_description: Host (and port) of the issuers' did:web identifiers,
    #   ``did:web:<host>:microcred:issuers:<org>``. With neither this nor LMS_ROOT_URL, issuers
    #   sign as did:key.
    "MICROCRED_ISSUER_HOST": "",
    # .. setting_name: MICROCRED_KEY_ENCRYPTION_KEYS
    # .. setting_default: [] (a key derived from SECRET_KEY with HKDF)
    # .. setting_description: A list of Fernet keys (``Fernet.generate_key().decode()``)
    #   encrypting the issuers' private signing keys and the registry connection secrets at
    #   rest. The first encrypts; all decrypt, so prepend a new key to rotate, then run
    #   ``manage.py microcred_reencrypt``. Keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS
    #   still decrypt secrets written before this was set. Set it in production, out of the
    #   database's reach (``check --deploy`` warns otherwise).
    "MICROCRED_KEY_ENCRYPTION_KEYS": [],
    # .. setting_name: MICROCRED_STATUS_LIST_SIZE
    # .. setting_default: 131072
    # .. setting_description: Entries per Bitstring Status List (at least 131,072, the
    #   specification's minimum for herd privacy).
    "MICROCRED_STATUS_LIST_SIZE": 131072,
    # .. setting_name: MICROCRED_VERIFY_RATE_LIMIT
    # .. setting_default: "60/m"
    # .. setting_description: Requests per client address to the public HTML verification page
    #   (django-ratelimit syntax).
    "MICROCRED_VERIFY_RATE_LIMIT": "60/m",
    # .. setting_name: MICROCRED_DOCUMENT_RATE_LIMIT
    # .. setting_default: "600/m"
    # .. setting_description: Requests per client address to the public documents verifiers
    #   fetch (credentials, CLRs, status lists, DID documents): a bucket of its own, larger than
    #   the page's, since one verification fetches several documents.
    "MICROCRED_DOCUMENT_RATE_LIMIT": "600/m",
    # .. setting_name: MICROCRED_CLIENT_ADDRESS
    # .. setting_default: "REMOTE_ADDR"
    # .. setting_description: Where the rate limits read the client address: ``"REMOTE_ADDR"``
    #   (the peer of the Django process), or ``"X-Forwarded-For"`` behind reverse proxies, with
    #   MICROCRED_TRUSTED_PROXY_COUNT saying how many of the header's rightmost entries were
    #   added by proxies the operator runs.
    "MICROCRED_CLIENT_ADDRESS": "REMOTE_ADDR",
    # .. setting_name: MICROCRED_TRUSTED_PROXY_COUNT
    # .. setting_default: 1
    # .. setting_description: With MICROCRED_CLIENT_ADDRESS ``"X-Forwarded-For"``: the number of
    #   reverse proxies in front of the LMS that append to X-Forwarded-For. The client address
    #   is the entry that many places from the right (the rightmost one no trusted proxy
    #   wrote); entries further left are the client's own claims and are ignored.
    "MICROCRED_TRUSTED_PROXY_COUNT": 1,
    # .. setting_name: MICROCRED_DELIVERY_MAX_ATTEMPTS
    # .. setting_default: 10
    # .. setting_description: Attempts of one registry delivery before it becomes a dead letter
    #   (visible in the admin, with a "redeliver" action).
    "MICROCRED_DELIVERY_MAX_ATTEMPTS": 10,
    # .. setting_name: MICROCRED_DELIVERY_TIMEOUT
    # .. setting_default: (3.05, 10)
    # .. setting_description: (connect, read) timeout in seconds of every registry request.
    "MICROCRED_DELIVERY_TIMEOUT": (3.05, 10),
    # .. setting_name: MICROCRED_DELIVERY_LEASE_SECONDS
    # .. setting_default: 120
    # .. setting_description: How long a worker holds a delivery it is sending; after that (a
    #   worker died) the row is due again and re-sent with the same idempotency key.
    "MICROCRED_DELIVERY_LEASE_SECONDS": 120,
    # .. setting_name: MICROCRED_DELIVERY_BACKOFF_BASE
    # .. setting_default: 5.0
    # .. setting_description: Seconds of the first retry's backoff ceiling (doubling per retry,
    #   full jitter).
    "MICROCRED_DELIVERY_BACKOFF_BASE": 5.0,
    # .. setting_name: MICROCRED_DELIVERY_BACKOFF_CAP
    # .. setting_default: 3600.0
    # .. setting_description: Longest wait between two attempts of a delivery, in seconds.
    "MICROCRED_DELIVERY_BACKOFF_CAP": 3600.0,
    # .. setting_name: MICROCRED_DELIVERY_SWEEP_SECONDS
    # .. setting_default: 60
    # .. setting_description: Period of the sweep that re-enqueues due deliveries whose task
    #   message was lost and signs status lists whose signature is pending (run by Celery beat,
    #   or ``manage.py microcred_sweep --loop``). ``microcred_status`` reports a sweep older than
    #   three periods.
    "MICROCRED_DELIVERY_SWEEP_SECONDS": 60,
    # .. setting_name: MICROCRED_EVENT_MAX_FUTURE_SKEW
    # .. setting_default: 3600
    # .. setting_description: Seconds an event time (an openedx-events ``metadata.time``, an
    #   external achievement's date) may be ahead of this server's clock. A later time is
    #   refused (the event is recorded as a rejected event): trusted, it would outrank every
    #   real event that follows it.
    "MICROCRED_EVENT_MAX_FUTURE_SKEW": 3600,
    # .. setting_name: MICROCRED_EVENT_TIME_FLOOR
    # .. setting_default: "2012-01-01"
    # .. setting_description: The earliest plausible event date (ISO ``YYYY-MM-DD``, 00:00 UTC).
    #   An earlier event time is refused (the event is recorded as a rejected event): trusted,
    #   it would be the completion date and fall outside every completion window.
    "MICROCRED_EVENT_TIME_FLOOR": "2012-01-01",
    # .. setting_name: MICROCRED_FRAME_ANCESTORS
    # .. setting_default: []
    # .. setting_description: Origins (``https://apps.example.com``) that may show the learner
    #   widget ``/microcred/widget/`` in a frame, besides the LMS's own origin: the learner
    #   dashboard MFE's origin. Every other plugin page refuses to be framed.
    "MICROCRED_FRAME_ANCESTORS": [],
    # .. setting_name: MICROCRED_NOTIFICATIONS_ENABLED
    # .. setting_default: True
    # .. setting_description: Email learners when a credential is issued, revoked or about to
    #   expire (edx-ace in the LMS, Django's mail backend elsewhere). False records and sends
    #   nothing; events that happen while it is off are never emailed later.
    "MICROCRED_NOTIFICATIONS_ENABLED": True,
    # .. setting_name: MICROCRED_EXPIRY_NOTICE_DAYS
    # .. setting_default: 30
    # .. setting_description: Days before a credential's expiry date at which its learner is told
    #   that it is about to expire (one email per credential).
    "MICROCRED_EXPIRY_NOTICE_DAYS": 30,
    # .. setting_name: MICROCRED_NOTIFICATION_SWEEP_SECONDS
    # .. setting_default: 3600
    # .. setting_description: Period of the Celery beat task that finds credentials about to
    #   expire and sends learner emails whose task message was lost.
    "MICROCRED_NOTIFICATION_SWEEP_SECONDS": 3600,
    # .. setting_name: MICROCRED_NOTIFICATION_MAX_ATTEMPTS
    # .. setting_default: 5
    # .. setting_description: Attempts to send one learner email before it is marked failed
    #   (an email the mail server may have accepted is never sent twice).
    "MICROCRED_NOTIFICATION_MAX_ATTEMPTS": 5,
    # .. setting_name: MICROCRED_NOTIFICATION_FROM_EMAIL
    # .. setting_default: "" (DEFAULT_FROM_EMAIL)
    # .. setting_description: Sender address of learner emails.
    "MICROCRED_NOTIFICATION_FROM_EMAIL": "",
    # .. setting_name: MICROCRED_STANDALONE_PREFERENCE_MODEL
    # .. setting_default: "" (no per-learner preferences: LANGUAGE_CODE for everyone)
    # .. setting_description: Standalone backend only: ``app_label.Model`` of a table shaped like
    #   edx-platform's ``UserPreference`` (``user``, ``key``, ``value``) holding each learner's
    #   ``pref-lang``. The sandbox sets ``sandbox.UserPreference``.
    "MICROCRED_STANDALONE_PREFERENCE_MODEL": "",
}


def plugin_settings(settings):
    """Give every MICROCRED_* setting its default unless the deployment set it, and schedule the
    periodic tasks (delivery sweep, learner notifications) with Celery beat."""
    for name, value in DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
    schedule = dict(getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {})
    period = settings.MICROCRED_DELIVERY_SWEEP_SECONDS
    if not isinstance(period, int) or isinstance(period, bool) or period < 1:
        period = DEFAULTS["MICROCRED_DELIVERY_SWEEP_SECONDS"]  # the system check reports it
    schedule.setdefault("openedx-microcred-sweep-deliveries", {
        "task": "openedx_microcred.tasks.sweep_deliveries",
        "schedule": float(period),
    })
    schedule.setdefault("openedx-microcred-sweep-notifications", {
        "task": "openedx_microcred.tasks.sweep_notifications",
        "schedule": float(settings.MICROCRED_NOTIFICATION_SWEEP_SECONDS),
    })
    settings.CELERY_BEAT_SCHEDULE = schedule
