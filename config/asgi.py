"""ASGI entry point: HTTP through Django, websockets through Channels (one route list per app)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from appointments.queue.routing import websocket_urlpatterns as queue_routes  # noqa: E402
from config import embedded  # noqa: E402
from notifications.routing import websocket_urlpatterns as notification_routes  # noqa: E402
from telemonitor.routing import websocket_urlpatterns as telemonitor_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(
            [*notification_routes, *queue_routes, *telemonitor_routes]))),
    }
)

embedded.start_if_enabled()
