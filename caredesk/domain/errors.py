"""The DomainError tree: every rule the domain refuses is one of these.

    DomainError                      code: a stable, machine-readable string
    ├── ValidationFailed             bad input; carries {field path: message} (HTTP 422)
    │   ├── InvalidAmount            an SLA amount such as "6bh" that does not parse
    │   ├── InvalidCalendar          a business calendar that cannot be built
    │   └── InvalidPolicy            a support-policy file that fails validation
    ├── RuleViolation                input is well formed but a rule forbids it (HTTP 422)
    │   ├── NotEnoughDesignatedContacts   the at-least-two-active-DCs rule
    │   ├── SeverityOneProcedure     Severity 1 asked for directly (High, then telephone)
    │   ├── ChannelNotAllowed        a package refuses this reporting channel
    │   ├── RoutedElsewhere          third-party, SOW change, MAC/D to the CSM...
    │   ├── CustomerDataFound        an upload holds End User customer data; carries the findings
    │   └── UploadRefused            an upload that cannot be scanned safely (bomb, traversal,
    │                                binary...); carries a ``reason`` and the archive ``member``
    ├── InvalidTransition            a state change the lifecycle forbids (HTTP 409)
    ├── PermissionDenied             a role that may never do this (HTTP 403)
    ├── NotFound                     missing, or another tenant's (HTTP 404; never says which)
    └── StaleVersion                 optimistic concurrency: If-Match no longer current (HTTP 412)

The domain never imports Django; config/ maps these classes to HTTP answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    """Bad input. ``errors`` maps a field path (``"calendar.hours.mon[0]"``) to its message."""

    code = "validation_failed"

    def __init__(
        self,
        message: str,
        *,
        errors: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.errors: dict[str, str] = dict(errors or {})


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"


class InvalidCalendar(ValidationFailed):
    code = "invalid_calendar"


class InvalidPolicy(ValidationFailed):
    code = "invalid_policy"


class RuleViolation(DomainError):
    code = "rule_violation"


class NotEnoughDesignatedContacts(RuleViolation):
    code = "not_enough_designated_contacts"


class SeverityOneProcedure(RuleViolation):
    code = "severity_one_by_phone_only"


class ChannelNotAllowed(RuleViolation):
    code = "channel_not_allowed"


class RoutedElsewhere(RuleViolation):
    code = "routed_elsewhere"


class CustomerDataFound(RuleViolation):
    """An upload holds End User customer data.

    ``findings`` are JSON-ready descriptions (type, member, line, column, masked preview); they
    never hold the value that was found.
    """

    code = "customer_data_found"

    def __init__(
        self,
        message: str,
        *,
        findings: Sequence[Mapping[str, object]] = (),
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.findings: tuple[dict[str, object], ...] = tuple(dict(f) for f in findings)


class UploadRefused(RuleViolation):
    """An upload that cannot be scanned safely, so it is refused whatever the DC asks.

    ``reason`` is a stable string (``"too_large"``, ``"compression_ratio"``, ``"too_deep"``,
    ``"path_traversal"``, ``"symlink"``, ``"binary"``...); ``member`` names the archive member
    at fault, if any.
    """

    code = "upload_refused"

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        member: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.reason = reason
        self.member = member


class InvalidTransition(DomainError):
    code = "invalid_transition"


class PermissionDenied(DomainError):
    code = "permission_denied"


class NotFound(DomainError):
    code = "not_found"


class StaleVersion(DomainError):
    code = "stale_version"
