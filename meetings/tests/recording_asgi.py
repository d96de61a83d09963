"""Parley's ASGI application for the live recording tests: ``portal.asgi.application``
itself once ``realtime/routing.py`` routes ``ws/recording/``, else the same with that route
added."""

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from portal.asgi import application as portal_application
from portal.asgi import django_asgi_app
from portal.tenancy import TenantASGIMiddleware
from realtime.recording import RecordingConsumer
from realtime.routing import websocket_urlpatterns

ROUTED = any(str(p.pattern) == "ws/recording/" for p in websocket_urlpatterns)

application = portal_application if ROUTED else ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TenantASGIMiddleware(
            URLRouter([*websocket_urlpatterns, path("ws/recording/", RecordingConsumer.as_asgi())])
        ),
    }
)
