"""Settings the plugin injects into the LMS and Studio (edx-django-utils ``plugin_settings``)."""
