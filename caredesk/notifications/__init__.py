"""Notifications: the outbox every other app writes to (``services.notification_enqueue``), e-mail and
webhook delivery with leases (``delivery``), per-user preferences and per-reseller webhooks.

See docs/decisions/notification-delivery.md for why delivery is at-least-once with the idempotency
key fixed at the source, and what "exactly once" means for a worker killed mid-send."""
