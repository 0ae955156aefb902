from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from core import views as core_views
from records import api as records_api

api_v1 = [
    path("", include("core.api_urls")),
    path("accounts/signup", records_api.SignUpApi.as_view(), name="api-signup"),
    path("accounts/", include("accounts.api_urls")),
    path("records/", include("records.api_urls")),
    path("notifications/", include("notifications.api_urls")),
    path("appointments/", include("appointments.api_urls")),
    path("queue/", include("appointments.queue.api_urls")),
    path("telemonitor/", include("telemonitor.api_urls")),
    path("payments/", include("payments.api_urls")),
    re_path(r"^.*$", core_views.api_not_found),  # unknown API routes answer problem+json, never HTML
]

urlpatterns = [
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("records.urls")),
    path("notifications/", include("notifications.urls")),
    path("monitoring/", include("telemonitor.urls")),
    path("appointments/", include("appointments.urls")),
    path("queue/", include("appointments.queue.urls")),
    path("payments/", include("payments.urls")),
    path("sandbox-pay/", include("payments.sandbox.urls")),  # the test payment provider's hosted page
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file of its own (?script), so the page needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
