"""Parley's URL map: the seed's REST paths (no trailing slash), API docs, pages, admin."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import branding, converters  # noqa: F401 - registers <id:> and <recid:>
from portal.accounts import api as accounts_api
from portal.accounts import views as accounts_views
from portal.accounts.throttle import login_throttled
from portal.plans import views as plan_views
from portal.plans.web import plan_feature

# Swagger UI sets inline styles (never inline script: the split view serves its script as a
# file), so its page alone allows them; every other page keeps the strict policy.
_swagger = csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("auth/register", accounts_api.RegisterView.as_view(), name="auth-register"),
    path("auth/login", accounts_api.LoginView.as_view(), name="auth-login"),
    path("auth/me", accounts_api.MeView.as_view(), name="auth-me"),
    path("api/schema/", plan_feature("essential")(SpectacularAPIView.as_view()), name="api-schema"),
    path("api/docs/", plan_feature("essential")(_swagger), name="api-docs"),
    path("", include("meetings.api.urls")),
    path("", accounts_views.home, name="home"),
    path("favicon.ico", accounts_views.favicon, name="favicon"),
    path("signup", accounts_views.signup, name="signup"),
    path("login", login_throttled(accounts_views.LoginView.as_view()), name="login"),
    path("logout", plan_feature("essential")(auth_views.LogoutView.as_view()), name="logout"),
    path("dashboard", accounts_views.dashboard, name="dashboard"),
    path("plan", plan_views.plan_and_usage, name="plan-usage"),
    path("brand/theme.css", branding.theme_css, name="brand-css"),
    path("brand/logo", branding.logo, name="brand-logo"),
    path("", include("meetings.urls")),
    # The admin decides its own permissions; its login page is throttled like /login.
    path("admin/login/", plan_feature("essential")(login_throttled(admin.site.login)), name="admin-login"),
    path("admin/", admin.site.urls),
]

handler400 = "portal.api.bad_request"
handler403 = "portal.api.permission_denied"
handler404 = "portal.api.not_found"
handler500 = "portal.api.server_error"
