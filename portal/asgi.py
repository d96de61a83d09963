"""ASGI entry point: Django for HTTP, Channels (tenant-resolved) for WebSockets, and the seed's
Socket.IO paths (``realtime.sio``) in front of both."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from portal.tenancy import TenantASGIMiddleware  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402
from realtime.sio.asgi import SocketIOMount  # noqa: E402

application = SocketIOMount(ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TenantASGIMiddleware(URLRouter(websocket_urlpatterns)),
    }
))
