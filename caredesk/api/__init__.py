"""Shared pieces of the REST API: authentication, throttling, error bodies, base schemas."""
