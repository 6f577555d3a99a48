"""The plugin's REST API (``/api/microcred/…``), versioned by URL prefix."""
