"""The portal's URL map plus the recording file view, for tests run before the lead wires
``meetings.recordings_download`` into the real map."""

from meetings.recordings_download import urlpatterns as recording_urlpatterns
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [*recording_urlpatterns, *portal_urlpatterns]
