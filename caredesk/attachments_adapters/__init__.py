"""Adapters for attachments: the parts of upload handling that need libraries the pure domain
may not import (Pillow for images). Storage itself goes through Django's storage API in the
cases app."""
