"""Browser pages: sign up, log in, log out, dashboard (Django sessions + CSRF)."""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from portal.accounts.forms import LoginForm, SignUpForm
from portal.accounts.services import EmailTaken, user_register
from portal.plans.web import plan_feature


@plan_feature("essential")
def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "portal/home.html")


@plan_feature("essential")
def signup(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(tenant=request.tenant, **form.cleaned_data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field, message)
        except EmailTaken:
            form.add_error("email", "An account with this email already exists. Log in instead.")
        else:
            login(request, user, backend="portal.accounts.backends.TenantEmailBackend")
            return redirect("dashboard")
    return render(request, "portal/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    plan_feature = "essential"
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@plan_feature("meetings")
@login_required
def dashboard(request):
    return render(request, "portal/dashboard.html", dashboard_context(request))


def dashboard_context(request) -> dict:
    """What the dashboard shows; the meetings app extends this with the user's meetings."""
    from meetings.selectors import dashboard_meetings

    return dashboard_meetings(user=request.user)


@plan_feature("essential")
@cache_control(public=True, max_age=86400)
def favicon(request):
    """Browsers ask every site for /favicon.ico; pages also link it (base.html)."""
    icon = settings.BASE_DIR / "static" / "parley" / "favicon.ico"
    return HttpResponse(icon.read_bytes(), content_type="image/x-icon")
