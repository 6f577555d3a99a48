"""The sandbox as Studio (``cms.djangoapp``), for tests that need Studio's URLs in any process."""
from .urls import patterns

urlpatterns = patterns("cms.djangoapp")
