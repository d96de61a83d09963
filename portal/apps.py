from django.apps import AppConfig
from django.db.models.signals import post_delete


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Tenants and accounts"

    def ready(self):
        from portal.accounts import schema  # noqa: F401  (registers OpenAPI auth extensions)
        from portal.plans.services import room_file_deleted

        # Storage is released wherever a room file row goes — a service, the admin, or a
        # cascade from its room — in the deleting transaction (see portal.plans.services).
        post_delete.connect(room_file_deleted, sender="meetings.RoomFile", dispatch_uid="plans-storage")
