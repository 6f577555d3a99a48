"""
openedx-microcred: stackable micro-credentials for Open edX.
"""

__version__ = "0.1.0"
