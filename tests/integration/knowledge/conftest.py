from tests.integration.maintenance.support import outbox

__all__ = ["outbox"]
