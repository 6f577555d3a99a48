"""Settings are read through one accessor that validates them."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from openedx_microcred.conf import setting


def test_defaults():
    assert setting("MICROCRED_REVOKE_ON_REGRESSION") is False
    assert setting("MICROCRED_BACKFILL_BATCH_SIZE") == 500


@pytest.mark.parametrize("name, value", [
    ("MICROCRED_REVOKE_ON_REGRESSION", "yes"),
    ("MICROCRED_BACKFILL_BATCH_SIZE", 0),
    ("MICROCRED_MAX_DEFINITION_BYTES", -1),
    ("MICROCRED_PLATFORM_BACKEND", 3),
])
def test_invalid_setting_names_itself(settings, name, value):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        setting(name)
