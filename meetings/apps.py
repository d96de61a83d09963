from django.apps import AppConfig
from django.db.models.signals import post_delete


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self):
        from meetings.cleanup import recording_row_deleted, room_file_row_deleted

        post_delete.connect(room_file_row_deleted, sender="meetings.RoomFile", dispatch_uid="file-bytes")
        post_delete.connect(recording_row_deleted, sender="meetings.Recording", dispatch_uid="rec-bytes")
