"""Model registry of the portal app: tenancy, accounts and plans live in their own modules."""

from portal.accounts.models import User
from portal.plans.models import PlanChange, RecordingUsage, StorageUsage
from portal.tenancy import Domain, Tenant

__all__ = ["Domain", "PlanChange", "RecordingUsage", "StorageUsage", "Tenant", "User"]
