"""Account writes shared by the REST API, the sign-up page and the admin."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.accounts.models import User
from portal.tenancy import Tenant


class EmailTaken(Exception):
    """The email already has an account in this tenant."""


def user_register(
    *,
    tenant: Tenant,
    email: str,
    first_name: str,
    last_name: str,
    phone_number: str,
    country: str,
    password: str,
) -> User:
    """Create an account in ``tenant``.

    Raises ``ValidationError`` (``{"password": [...]}``) for a weak password and
    ``EmailTaken`` when the email is already registered in this tenant.
    """
    email = User.objects.normalize_email(email).strip().lower()
    candidate = User(
        tenant=tenant, email=email, first_name=first_name, last_name=last_name,
        phone_number=phone_number, country=country,
    )
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    if User.objects.for_tenant(tenant).filter(email__iexact=email).exists():
        raise EmailTaken(email)
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save(force_insert=True)
    except IntegrityError:  # a concurrent registration won the race
        raise EmailTaken(email) from None
    return candidate
