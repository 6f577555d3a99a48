"""
The Studio authoring app (``/microcred/studio/``): server-rendered page shells and ES modules
that author programmes through the REST API (``/api/microcred/v1/``).

DO NOT extend Studio's legacy templates (Open edX is removing them): the pages here are
self-contained. DO NOT add a JavaScript build step: the modules in ``static/openedx_microcred/
studio/js`` are plain ES modules that browsers load as they are, so ``pip install`` is enough.
"""
