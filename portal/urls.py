"""Parley's URL map: the seed's REST paths (no trailing slash), API docs, pages, admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import branding
from portal.accounts import api as accounts_api
from portal.accounts import views as accounts_views
from portal.plans import views as plan_views
from portal.plans.web import plan_feature

urlpatterns = [
    path("auth/register", accounts_api.RegisterView.as_view(), name="auth-register"),
    path("auth/login", accounts_api.LoginView.as_view(), name="auth-login"),
    path("auth/me", accounts_api.MeView.as_view(), name="auth-me"),
    path("api/schema/", plan_feature("essential")(SpectacularAPIView.as_view()), name="api-schema"),
    path(
        "api/docs/", plan_feature("essential")(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("", include("meetings.api.urls")),
    path("", accounts_views.home, name="home"),
    path("favicon.ico", accounts_views.favicon, name="favicon"),
    path("signup", accounts_views.signup, name="signup"),
    path("login", accounts_views.LoginView.as_view(), name="login"),
    path("logout", plan_feature("essential")(auth_views.LogoutView.as_view()), name="logout"),
    path("dashboard", accounts_views.dashboard, name="dashboard"),
    path("plan", plan_views.plan_and_usage, name="plan-usage"),
    path("brand/theme.css", branding.theme_css, name="brand-css"),
    path("brand/logo", branding.logo, name="brand-logo"),
    path("", include("meetings.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "portal.api.not_found"
