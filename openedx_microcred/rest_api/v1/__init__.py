"""
Version 1 of the REST API, mounted at ``/api/microcred/v1/`` in the LMS and in Studio.

DO NOT put logic in views: a view checks permissions, validates input with a serializer, calls
``openedx_microcred.api`` and serializes the result (the content-libraries v2 REST layer is the
model). Domain errors become HTTP statuses in one place, ``errors.py``.
"""
