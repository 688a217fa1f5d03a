from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from agencies.admin_login import RateLimitedAdminAuthenticationForm
from agencies.urls import auth_urlpatterns
from core import views as core_views

api_v1 = [
    path("auth/", include(auth_urlpatterns)),
    path("health/", core_views.HealthApi.as_view(), name="health"),
    path("", include("agencies.urls")),
    path("accounts/", include("training.account_urls")),
    # An officer's own account: their record (agencies.urls), training, certification standing, 360 reports.
    path("me/officer/", include("training.officer_urls")),
    path("me/officer/", include("certification.officer_urls")),
    path("me/officer/", include("evaluations.officer_urls")),
    path("training/", include("training.urls")),
    path("certification/", include("certification.urls")),
    path("evaluations/", include("evaluations.urls")),
    path("coaching/", include("coaching.urls")),
    # No login: certificate verification, the public registry, eligibility checks.
    path("public/", include("training.public_urls")),
    path("public/", include("certification.public_urls")),
    # 360 reviewers have no account: their secret link is the credential.
    path("feedback/", include("evaluations.feedback_urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    # Server-rendered pages for people: certificate verification, public lookup, the reviewer form.
    path("", include("training.page_urls")),
    path("", include("certification.page_urls")),
    path("", include("evaluations.page_urls")),
    path("", include("agencies.page_urls")),  # the one-time "set your password" link
    # An officer's own site (session sign-in): their record, training, findings and data export.
    path("me/", include("agencies.officer_page_urls")),
    path("me/", include("training.officer_page_urls")),
    path("me/", include("certification.officer_page_urls")),
    path("me/", include("evaluations.officer_page_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file, so the page works under a script-src 'self' CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    # Unknown API paths answer in the API's error shape, in DEBUG too (handler404 only runs without DEBUG).
    re_path(r"^api/", core_views.json_not_found),
]

handler404 = "core.views.json_not_found"
handler500 = "core.views.json_server_error"

admin.site.site_header = "PeaceCert administration"
admin.site.site_title = "PeaceCert"
# The admin login is a second door to the same accounts: it spends the API login's budget (agencies/admin_login.py).
admin.site.login_form = RateLimitedAdminAuthenticationForm
