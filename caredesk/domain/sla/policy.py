"""The support policy: a vendor's support guide as validated, immutable data.

Concept. Every promise caredesk keeps (Table 1 targets per package and severity, reporting
channels, the Severity 1 procedure, post-incident deadlines, warning threshold, escalation,
MAC/D routing and the maintenance table) comes from a policy file such as
``caredesk/policies/cloud-resellers-v4.toml``. Another vendor's guide is another file, never a code
change: nothing below names a package, a service or a severity of the shipped guide.

Invariants.
- A ``Policy`` is built only through ``policy_from_dict`` (``load_policy`` and
  ``load_default_policy`` read a TOML file and call it), which validates the whole document and
  raises one ``InvalidPolicy`` whose ``errors`` maps the path of *every* problem to its message,
  e.g. ``{"packages.care_for_cloud.targets.2.response": "unknown unit ..."}``.
- Severities are positive integers; a smaller number is more severe (1 = Critical), so "raising"
  a severity means moving to a smaller number.
- Every package has targets for exactly the policy's severities, each with ``response``,
  ``restoration`` and ``resolution`` (an ``Amount``, or ``None`` for "not applicable").
- Every severity, channel, route or service a section names is one the policy (or the application's
  vocabulary, ``KNOWN_CHANNELS`` / ``MACD_ROUTES`` / ``ESCALATION_RECIPIENTS``) knows.
- The objects are frozen and their mappings read-only: a policy version never changes once loaded.

Reading a file is the only I/O here, kept in ``load_policy``; everything else is pure.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from caredesk.domain.errors import InvalidPolicy, ValidationFailed
from caredesk.domain.maintenance.rules import WindowRule, parse_maintenance_rows
from caredesk.domain.sla.amounts import Amount, parse_amount

__all__ = [
    "DEFAULT_POLICY_FILE",
    "ESCALATION_RECIPIENTS",
    "KNOWN_CHANNELS",
    "MACD_ROUTES",
    "TARGET_KINDS",
    "Compliance",
    "Escalation",
    "IntakeRules",
    "Package",
    "Policy",
    "PostIncident",
    "Requests",
    "Service",
    "Targets",
    "load_default_policy",
    "load_policy",
    "policy_from_dict",
    "policy_from_toml",
]

DEFAULT_POLICY_FILE = "cloud-resellers-v4.toml"
SCHEMA_VERSION = 1

TARGET_KINDS = ("response", "restoration", "resolution")
"""The three targets of Table 1, in the order the guide lists them."""

KNOWN_CHANNELS = ("portal", "api", "phone")
"""Reporting channels the application implements; a policy may allow any subset per package."""

MACD_ROUTES = ("customer_care", "csm")
"""Where a MAC/D request goes: a Customer Care service request, or the account's CSM."""

DEFAULT_MACD_ROUTE = "csm"
"""A service the policy's ``[requests.macd_route]`` does not list goes to the CSM (DOMAIN.md)."""

ESCALATION_RECIPIENTS = ("assigned_agent", "care_managers", "csm", "designated_contacts")
"""Who an escalation may notify (issue 5); the policy picks from these."""

DEFAULT_WARNING_THRESHOLD = 0.75
DEFAULT_RESTORATION_GOAL_SHARE = 0.95

_NAME = re.compile(r"^[a-z][a-z0-9_]*\Z")
_TOP_KEYS = {
    "schema": True,
    "id": True,
    "version": True,
    "title": True,
    "effective_from": False,
    "severities": True,
    "intake": True,
    "packages": True,
    "compliance": False,
    "warnings": False,
    "escalation": True,
    "post_incident": True,
    "requests": True,
    "services": False,
}  # key -> required


# --------------------------------------------------------------------------- the value objects


@dataclass(frozen=True, slots=True)
class Targets:
    """One row of Table 1 for one package: the three targets (``None`` = not applicable)."""

    response: Amount | None
    restoration: Amount | None
    resolution: Amount | None

    def get(self, kind: str) -> Amount | None:
        """The target named ``kind`` (one of ``TARGET_KINDS``)."""
        if kind == "response":
            return self.response
        if kind == "restoration":
            return self.restoration
        if kind == "resolution":
            return self.resolution
        raise KeyError(kind)


@dataclass(frozen=True, slots=True)
class Package:
    """A support package: its label, reporting channels and targets per severity."""

    name: str
    label: str
    channels: tuple[str, ...]
    targets: Mapping[int, Targets]

    def allows_channel(self, channel: str) -> bool:
        return channel in self.channels


@dataclass(frozen=True, slots=True)
class IntakeRules:
    """How a reseller may ask for a severity.

    ``portal_max_severity``: the most severe severity a reseller may submit or propose directly
    (2 = High in the guide). ``critical_by_phone_raise_only``: anything more severe is reached only
    by a Customer Care agent raising the case after a telephone call.
    """

    portal_max_severity: int
    critical_by_phone_raise_only: bool


@dataclass(frozen=True, slots=True)
class Compliance:
    restoration_goal_share: float


@dataclass(frozen=True, slots=True)
class Escalation:
    severities: frozenset[int]
    notify: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PostIncident:
    """Guide section 2: post-mortem due per severity, root cause required, incident report due."""

    post_mortem_due: Mapping[int, Amount]
    root_cause_required: frozenset[int]
    incident_report_due_after_meeting: Amount


@dataclass(frozen=True, slots=True)
class Requests:
    service_request_severity: int
    macd_route: Mapping[str, str]

    def route_for(self, service: str) -> str:
        """``"customer_care"`` or ``"csm"`` for a MAC/D request on ``service``."""
        return self.macd_route.get(service, DEFAULT_MACD_ROUTE)


@dataclass(frozen=True, slots=True)
class Service:
    """A cloud service: its label and planned maintenance rows.

    ``maintenance`` holds the rows exactly as the file writes them (``{days, start, end,
    timezone}``), ``windows`` the same rows parsed by ``domain.maintenance.rules``.
    """

    name: str
    label: str
    maintenance: tuple[Mapping[str, Any], ...]
    windows: tuple[WindowRule, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole support policy (one version of one vendor's guide)."""

    id: str
    version: str
    title: str
    effective_from: date | None
    severities: Mapping[int, str]
    intake: IntakeRules
    packages: Mapping[str, Package]
    compliance: Compliance
    warning_threshold: float
    escalation: Escalation
    post_incident: PostIncident
    requests: Requests
    services: Mapping[str, Service] = field(default_factory=lambda: MappingProxyType({}))

    def __hash__(self) -> int:
        return hash((self.id, self.version))

    @property
    def key(self) -> str:
        """``"cloud-resellers@4"``: what a case records as the policy that governs it."""
        return f"{self.id}@{self.version}"

    def package(self, name: str) -> Package:
        """The package called ``name``; ``ValidationFailed`` (field ``package``) if unknown."""
        try:
            return self.packages[name]
        except KeyError:
            known = ", ".join(self.packages)
            raise ValidationFailed(
                f"unknown package {name!r}; policy {self.key} has: {known}",
                errors={"package": f"unknown package {name!r}; expected one of {known}"},
                code="unknown_package",
            ) from None

    def check_severity(self, severity: object, *, field: str = "severity") -> int:
        """``severity`` if the policy defines it; ``ValidationFailed`` otherwise."""
        if isinstance(severity, int) and not isinstance(severity, bool) and severity in self.severities:
            return severity
        known = ", ".join(f"{n} ({label})" for n, label in self.severities.items())
        raise ValidationFailed(
            f"unknown severity {severity!r}; expected one of {known}",
            errors={field: f"unknown severity {severity!r}; expected one of {known}"},
            code="unknown_severity",
        )

    def targets(self, package: str, severity: int) -> Targets:
        return self.package(package).targets[self.check_severity(severity)]

    def severity_name(self, severity: int) -> str:
        """``"1 (Critical)"``."""
        return f"{severity} ({self.severities[severity]})"

    @staticmethod
    def is_raise(old: int, new: int) -> bool:
        """Whether moving from ``old`` to ``new`` raises the severity (a smaller number)."""
        return new < old

    def post_mortem_due(self, severity: int) -> Amount | None:
        """The post-mortem deadline after Service Resolution at ``severity``, if one is due."""
        return self.post_incident.post_mortem_due.get(severity)


# --------------------------------------------------------------------------- loading


def load_policy(path: str | Path) -> Policy:
    """Read and validate the TOML policy file at ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidPolicy(
            f"cannot read policy file {str(p)!r}: {exc.strerror or exc}",
            errors={"file": f"cannot read {str(p)!r}"},
        ) from exc
    except UnicodeDecodeError as exc:
        raise InvalidPolicy(f"policy file {str(p)!r} is not UTF-8 text", errors={"file": "not UTF-8 text"}) from exc
    return policy_from_toml(text, source=str(p))


@cache
def load_default_policy() -> Policy:
    """The shipped policy (the vendor's guide, version 4); read and validated once per process."""
    text = resources.files("caredesk.policies").joinpath(DEFAULT_POLICY_FILE).read_text("utf-8")
    return policy_from_toml(text, source=DEFAULT_POLICY_FILE)


def policy_from_toml(text: str, *, source: str = "<policy>") -> Policy:
    """Parse TOML text and validate it as a policy."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidPolicy(
            f"policy {source} is not valid TOML: {exc}", errors={"file": f"not valid TOML: {exc}"}
        ) from exc
    return policy_from_dict(raw, source=source)


def policy_from_dict(raw: Mapping[str, Any], *, source: str = "<policy>") -> Policy:
    """Validate a policy document (as ``tomllib`` gives it) and build the ``Policy``.

    Raises ``InvalidPolicy`` listing every problem at once, keyed by its path in the document.
    """
    return _Validator(raw, source).build()


# --------------------------------------------------------------------------- validation


class _Validator:
    """Walks the document once, collecting ``{path: message}``; builds only if none."""

    def __init__(self, raw: Mapping[str, Any], source: str) -> None:
        self.raw = raw
        self.source = source
        self.errors: dict[str, str] = {}
        self.severities: dict[int, str] = {}

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    # -- small typed readers: each returns a value or None after recording the problem

    def table(self, value: object, path: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.error(path, "expected a table")
        return None

    def keys(
        self, table: Mapping[str, Any], path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> None:
        for key in table:
            if key not in required and key not in optional:
                self.error(f"{path}.{key}", f"unknown key; expected {', '.join(required + optional)}")
        for key in required:
            if key not in table:
                self.error(f"{path}.{key}", "required")

    def text(self, value: object, path: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        self.error(path, "expected a non-empty string")
        return None

    def number(self, value: object, path: str, *, low: float, high: float) -> float | None:
        """A number in ``(low, high]``."""
        if isinstance(value, int | float) and not isinstance(value, bool) and low < value <= high:
            return float(value)
        self.error(path, f"expected a number above {low:g} and at most {high:g}, got {value!r}")
        return None

    def severity(self, value: object, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.error(path, f"expected a severity number, got {value!r}")
            return None
        try:
            number = int(value)
        except ValueError:
            self.error(path, f"expected a severity number, got {value!r}")
            return None
        if number not in self.severities:
            known = ", ".join(str(s) for s in self.severities)
            self.error(path, f"unknown severity {value!r}; the policy defines {known}")
            return None
        return number

    def severity_list(self, value: object, path: str) -> frozenset[int]:
        if not isinstance(value, list):
            self.error(path, "expected a list of severity numbers")
            return frozenset()
        found = [self.severity(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return frozenset(s for s in found if s is not None)

    def amount(self, value: object, path: str, *, allow_none: bool) -> Amount | None:
        if not isinstance(value, str):
            self.error(path, f'expected an amount such as "6bh" or "15bd", got {value!r}')
            return None
        try:
            parsed = parse_amount(value)
        except ValidationFailed as exc:
            self.error(path, exc.message)
            return None
        if parsed is None and not allow_none:
            self.error(path, '"-" (not applicable) is not allowed here')
        return parsed

    # -- sections

    def build(self) -> Policy:
        raw = self.raw
        if not isinstance(raw, Mapping):
            raise InvalidPolicy("a policy document must be a table", errors={"": "expected a table"})
        for key in raw:
            if key not in _TOP_KEYS:
                self.error(key, f"unknown key; expected one of {', '.join(_TOP_KEYS)}")
        for key, required in _TOP_KEYS.items():
            if required and key not in raw:
                self.error(key, "required")

        schema = raw.get("schema")
        if "schema" in raw and (isinstance(schema, bool) or schema != SCHEMA_VERSION):
            self.error("schema", f"unsupported schema {schema!r}; this caredesk reads schema {SCHEMA_VERSION}")
        policy_id = self.text(raw["id"], "id") if "id" in raw else None
        if policy_id is not None and not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", policy_id):
            self.error("id", "use lower-case letters, digits, '.', '_' and '-'")
        version = raw.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            version = str(version)
        version = self.text(version, "version") if "version" in raw else None
        title = self.text(raw["title"], "title") if "title" in raw else None
        effective_from = self.effective_from(raw.get("effective_from"))

        self.read_severities(raw.get("severities"))
        intake = self.read_intake(raw.get("intake"))
        packages = self.read_packages(raw.get("packages"))
        compliance = self.read_compliance(raw.get("compliance", {}))
        threshold = self.read_warnings(raw.get("warnings", {}))
        escalation = self.read_escalation(raw.get("escalation"))
        post_incident = self.read_post_incident(raw.get("post_incident"))
        services = self.read_services(raw.get("services", {}))
        requests = self.read_requests(raw.get("requests"), services)

        if self.errors:
            listing = "; ".join(f"{path}: {message}" for path, message in self.errors.items())
            raise InvalidPolicy(
                f"invalid policy {self.source} ({len(self.errors)} problem"
                f"{'s' if len(self.errors) != 1 else ''}): {listing}",
                errors=self.errors,
            )
        assert policy_id is not None and version is not None and title is not None
        assert intake is not None and compliance is not None and threshold is not None
        assert escalation is not None and post_incident is not None and requests is not None
        return Policy(
            id=policy_id,
            version=version,
            title=title,
            effective_from=effective_from,
            severities=MappingProxyType(dict(self.severities)),
            intake=intake,
            packages=MappingProxyType(packages),
            compliance=compliance,
            warning_threshold=threshold,
            escalation=escalation,
            post_incident=post_incident,
            requests=requests,
            services=MappingProxyType(services),
        )

    def effective_from(self, value: object) -> date | None:
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):  # a TOML local date
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error("effective_from", f"expected a date YYYY-MM-DD, got {value!r}")
        return None

    def read_severities(self, value: object) -> None:
        if value is None:
            return  # already reported as required
        table = self.table(value, "severities")
        if table is None:
            return
        if not table:
            self.error("severities", "define at least one severity")
        for key, label in table.items():
            path = f"severities.{key}"
            if not re.fullmatch(r"[1-9][0-9]*", str(key)):
                self.error(path, "a severity is a positive whole number (1 = most severe)")
                continue
            name = self.text(label, path)
            if name is not None:
                self.severities[int(key)] = name
        self.severities = dict(sorted(self.severities.items()))

    def read_intake(self, value: object) -> IntakeRules | None:
        if value is None:
            return None
        table = self.table(value, "intake")
        if table is None:
            return None
        self.keys(table, "intake", ("portal_max_severity", "critical_by_phone_raise_only"))
        most = (
            self.severity(table["portal_max_severity"], "intake.portal_max_severity")
            if "portal_max_severity" in table
            else None
        )
        phone = table.get("critical_by_phone_raise_only")
        if "critical_by_phone_raise_only" in table and not isinstance(phone, bool):
            self.error("intake.critical_by_phone_raise_only", "expected true or false")
        if most is None or not isinstance(phone, bool):
            return None
        return IntakeRules(portal_max_severity=most, critical_by_phone_raise_only=phone)

    def read_packages(self, value: object) -> dict[str, Package]:
        packages: dict[str, Package] = {}
        if value is None:
            return packages
        table = self.table(value, "packages")
        if table is None:
            return packages
        if not table:
            self.error("packages", "define at least one package")
        for name, body in table.items():
            path = f"packages.{name}"
            if not _NAME.match(name):
                self.error(path, "a package name is lower-case letters, digits and underscores")
            spec = self.table(body, path)
            if spec is None:
                continue
            self.keys(spec, path, ("label", "channels", "targets"))
            label = self.text(spec["label"], f"{path}.label") if "label" in spec else None
            channels = self.read_channels(spec.get("channels"), f"{path}.channels")
            targets = self.read_targets(spec.get("targets"), f"{path}.targets")
            if label is not None and channels is not None and targets is not None:
                packages[name] = Package(name, label, channels, MappingProxyType(targets))
        return packages

    def read_channels(self, value: object, path: str) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            self.error(path, f"expected a non-empty list of channels ({', '.join(KNOWN_CHANNELS)})")
            return None
        channels: list[str] = []
        ok = True
        for i, item in enumerate(value):
            if item not in KNOWN_CHANNELS:
                self.error(
                    f"{path}[{i}]",
                    f"unknown channel {item!r}; expected one of {', '.join(KNOWN_CHANNELS)}",
                )
                ok = False
            elif item in channels:
                self.error(f"{path}[{i}]", f"channel {item!r} is listed twice")
                ok = False
            else:
                channels.append(item)
        return tuple(channels) if ok else None

    def read_targets(self, value: object, path: str) -> dict[int, Targets] | None:
        if value is None:
            return None
        table = self.table(value, path)
        if table is None:
            return None
        targets: dict[int, Targets] = {}
        ok = True
        for key, row in table.items():
            row_path = f"{path}.{key}"
            severity = self.severity(key, row_path)
            spec = self.table(row, row_path)
            if severity is None or spec is None:
                ok = False
                continue
            self.keys(spec, row_path, TARGET_KINDS)
            amounts: dict[str, Amount | None] = {}
            for kind in TARGET_KINDS:
                if kind not in spec:
                    ok = False
                    continue
                before = len(self.errors)
                amounts[kind] = self.amount(spec[kind], f"{row_path}.{kind}", allow_none=True)
                ok = ok and len(self.errors) == before
            if len(amounts) == len(TARGET_KINDS):
                targets[severity] = Targets(amounts["response"], amounts["restoration"], amounts["resolution"])
        for severity, label in self.severities.items():
            if str(severity) not in {str(k) for k in table}:
                self.error(f"{path}.{severity}", f"missing: no targets for severity {severity} ({label})")
                ok = False
        return dict(sorted(targets.items())) if ok else None

    def read_compliance(self, value: object) -> Compliance | None:
        table = self.table(value, "compliance")
        if table is None:
            return None
        self.keys(table, "compliance", (), ("restoration_goal_share",))
        share = self.number(
            table.get("restoration_goal_share", DEFAULT_RESTORATION_GOAL_SHARE),
            "compliance.restoration_goal_share",
            low=0.0,
            high=1.0,
        )
        return None if share is None else Compliance(share)

    def read_warnings(self, value: object) -> float | None:
        table = self.table(value, "warnings")
        if table is None:
            return None
        self.keys(table, "warnings", (), ("threshold",))
        threshold = table.get("threshold", DEFAULT_WARNING_THRESHOLD)
        if isinstance(threshold, int | float) and not isinstance(threshold, bool) and 0 < threshold < 1:
            return float(threshold)
        self.error("warnings.threshold", f"expected a share above 0 and below 1, got {threshold!r}")
        return None

    def read_escalation(self, value: object) -> Escalation | None:
        if value is None:
            return None
        table = self.table(value, "escalation")
        if table is None:
            return None
        self.keys(table, "escalation", ("severities", "notify"))
        severities = self.severity_list(table.get("severities", []), "escalation.severities")
        notify = table.get("notify", [])
        if not isinstance(notify, list):
            self.error("escalation.notify", "expected a list of recipients")
            notify = []
        for i, who in enumerate(notify):
            if who not in ESCALATION_RECIPIENTS:
                self.error(
                    f"escalation.notify[{i}]",
                    f"unknown recipient {who!r}; expected one of {', '.join(ESCALATION_RECIPIENTS)}",
                )
        return Escalation(severities, tuple(str(w) for w in notify))

    def read_post_incident(self, value: object) -> PostIncident | None:
        if value is None:
            return None
        table = self.table(value, "post_incident")
        if table is None:
            return None
        path = "post_incident"
        self.keys(
            table,
            path,
            ("post_mortem_due", "root_cause_required", "incident_report_due_after_meeting"),
        )
        due: dict[int, Amount] = {}
        due_table = self.table(table.get("post_mortem_due", {}), f"{path}.post_mortem_due") or {}
        for key, text in due_table.items():
            severity = self.severity(key, f"{path}.post_mortem_due.{key}")
            amount = self.amount(text, f"{path}.post_mortem_due.{key}", allow_none=False)
            if severity is not None and amount is not None:
                due[severity] = amount
        root = self.severity_list(table.get("root_cause_required", []), f"{path}.root_cause_required")
        report = (
            self.amount(
                table["incident_report_due_after_meeting"],
                f"{path}.incident_report_due_after_meeting",
                allow_none=False,
            )
            if "incident_report_due_after_meeting" in table
            else None
        )
        if report is None:
            return None
        return PostIncident(MappingProxyType(dict(sorted(due.items()))), root, report)

    def read_services(self, value: object) -> dict[str, Service]:
        services: dict[str, Service] = {}
        table = self.table(value, "services")
        if table is None:
            return services
        for name, body in table.items():
            path = f"services.{name}"
            spec = self.table(body, path)
            if spec is None:
                continue
            self.keys(spec, path, ("label",), ("maintenance",))
            label = self.text(spec["label"], f"{path}.label") if "label" in spec else None
            rows = spec.get("maintenance", [])
            try:
                windows = parse_maintenance_rows(name, rows)
            except ValidationFailed as exc:
                for key, message in exc.errors.items():
                    self.error(key, message)
                continue
            if label is not None:
                raw_rows = tuple(MappingProxyType(dict(row)) for row in rows)
                services[name] = Service(name, label, raw_rows, windows)
        return services

    def read_requests(self, value: object, services: Mapping[str, Service]) -> Requests | None:
        if value is None:
            return None
        table = self.table(value, "requests")
        if table is None:
            return None
        self.keys(table, "requests", ("service_request_severity",), ("macd_route",))
        severity = (
            self.severity(table["service_request_severity"], "requests.service_request_severity")
            if "service_request_severity" in table
            else None
        )
        routes: dict[str, str] = {}
        route_table = self.table(table.get("macd_route", {}), "requests.macd_route") or {}
        declared = self.raw.get("services", {})
        for service, route in route_table.items():
            path = f"requests.macd_route.{service}"
            if not isinstance(declared, Mapping) or service not in declared:
                self.error(path, f"unknown service {service!r}; declare it under [services.{service}]")
            if route not in MACD_ROUTES:
                self.error(path, f"unknown route {route!r}; expected one of {', '.join(MACD_ROUTES)}")
                continue
            routes[service] = route
        if severity is None:
            return None
        return Requests(severity, MappingProxyType(routes))
