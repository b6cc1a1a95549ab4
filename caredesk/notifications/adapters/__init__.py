"""Adapters: the two ways out (SMTP through Django's mailers, signed HTTP POSTs). They know nothing of
the outbox; delivery.py calls them and records the outcome."""
