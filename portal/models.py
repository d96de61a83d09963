"""Model registry of the portal app: tenancy and accounts live in their own modules."""

from portal.accounts.models import User
from portal.tenancy import Domain, Tenant

__all__ = ["Domain", "Tenant", "User"]
