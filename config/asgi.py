"""ASGI entry point: HTTP through Django, websockets through Channels (one route list per app)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

# Under ASGI each request's sync code runs in a thread of its own, so a persistent connection would be left
# behind, open and never reused, by every request: connections are pooled instead (DATABASE_POOL).
if any(db.get("CONN_MAX_AGE", 0) != 0 for db in settings.DATABASES.values()):
    raise ImproperlyConfigured("CONN_MAX_AGE must be 0 when serving over ASGI; use DATABASE_POOL to reuse connections.")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.middleware import TwoFactorWebsocketMiddleware  # noqa: E402
from appointments.queue.routing import websocket_urlpatterns as queue_routes  # noqa: E402
from config import embedded  # noqa: E402
from notifications.routing import websocket_urlpatterns as notification_routes  # noqa: E402
from telemonitor.routing import websocket_urlpatterns as telemonitor_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(TwoFactorWebsocketMiddleware(URLRouter(
            [*notification_routes, *queue_routes, *telemonitor_routes])))),
    }
)

embedded.start_if_enabled()
