"""Tutor plugin for openedx-microcred."""
