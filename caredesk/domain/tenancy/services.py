"""Cloud services and support packages named by the guide (DOMAIN.md "Subscription")."""

from __future__ import annotations

from enum import StrEnum


class CloudService(StrEnum):
    PUREENGAGE_CLOUD = "pureengage_cloud"
    PREMIER_EDITION = "premier_edition"
    OUTBOUND_ENGAGEMENT = "outbound_engagement"
    SOCIAL_ANALYTICS = "social_analytics"


class SupportPackage(StrEnum):
    CARE_FOR_CLOUD = "care_for_cloud"
    BUSINESS_CARE_FOR_CLOUD = "business_care_for_cloud"
    PURE_SUCCESS = "pure_success"


def needs_deployment_timezone(service: CloudService) -> bool:
    """PureEngage Cloud maintenance runs on the deployment's "Local time" (Table 2)."""
    return service is CloudService.PUREENGAGE_CLOUD
