"""The seed's REST paths for rooms, meetings, recordings, files, transcripts, analytics."""

urlpatterns: list = []
