"""The plugin's version: always the openedx-microcred release it installs."""

__version__ = "0.1.0"
