from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Tenants and accounts"

    def ready(self):
        from portal.accounts import schema  # noqa: F401  (registers OpenAPI auth extensions)
