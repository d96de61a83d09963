"""Two tenants side by side: A (the default tenant, ``localhost``) on Professional and B
(``beta.test``) on Essential. alice hosts on A, charlie on B."""

import pytest

from conftest import make_user
from meetings.tests.api_helpers import fast_password_hashing  # noqa: F401 (fixture)
from portal.plans.catalogue import ESSENTIAL, PROFESSIONAL


@pytest.fixture(autouse=True)
def _cheap_passwords(fast_password_hashing):  # noqa: F811
    return None


@pytest.fixture
def pro(tenant_a):
    tenant_a.plan = PROFESSIONAL
    tenant_a.save(update_fields=["plan"])
    return tenant_a


@pytest.fixture
def ess(tenant_b):
    tenant_b.plan = ESSENTIAL
    tenant_b.save(update_fields=["plan"])
    return tenant_b


@pytest.fixture
def pro_host(pro, host):
    return host


@pytest.fixture
def ess_host(ess, outsider):
    return outsider


@pytest.fixture
def ess_staff(ess):
    return make_user(ess, "erin@example.com", "Erin", is_staff=True)
