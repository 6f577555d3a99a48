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
}


def plugin_settings(settings):
    """Give every MICROCRED_* setting its default unless the deployment set it."""
    for name, value in DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
