"""Plans and branding on the pages: locked controls say "Part of Professional", staff see
"Plan and usage", each tenant's pages carry its name, logo and colours, and its emails too."""

import re

import pytest
from django.core import mail
from django.test import RequestFactory

from conftest import PASSWORD
from meetings.models import Meeting
from meetings.tests.api_helpers import make_meeting
from portal.branding import accent_shades, contrast_with_white, tenant_mail_send
from portal.plans.models import PlanChange
from portal.plans.services import tenant_plan_set
from portal.plans.tasks import plan_change_notify
from portal.plans.web import plan_feature

pytestmark = pytest.mark.django_db


@pytest.fixture
def ess_client(client, ess_host):
    client.defaults["HTTP_HOST"] = "beta.test"
    assert client.post("/login", {"username": ess_host.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def pro_client(client, pro_host):
    client.defaults["HTTP_HOST"] = "localhost"
    assert client.post("/login", {"username": pro_host.email, "password": PASSWORD}).status_code == 302
    return client


def test_new_meeting_on_essential_explains_the_transcript_option(ess_client):
    html = ess_client.get("/meetings/new").content.decode()
    assert "Part of Professional" in html
    assert re.search(r'<input type="checkbox" id="id_transcript_enabled" disabled', html)
    assert 'name="transcript_enabled"' not in html


def test_new_meeting_on_professional_offers_it(pro_client):
    html = pro_client.get("/meetings/new").content.decode()
    assert "Part of Professional" not in html
    assert 'name="transcript_enabled"' in html


def test_posting_the_option_anyway_is_refused_with_the_reason(ess_client, ess_host):
    response = ess_client.post("/meetings/new", {
        "title": "Sync", "scheduled_start": "2030-01-01T10:00", "duration_minutes": 30,
        "room_type": "meeting", "transcript_enabled": "on",
    })
    assert response.status_code == 200
    assert "Transcripts is part of the Professional plan" in response.content.decode()
    assert not Meeting.objects.exists()


def test_the_room_page_tells_the_plan(ess_client, ess_host):
    meeting = make_meeting(ess_host)
    config = ess_client.get(f"/meetings/{meeting.pk}/room").context["config"]
    assert config["plan"]["code"] == "essential" and "whiteboard" not in config["plan"]["features"]


def test_plan_and_usage_page_is_for_staff(client, ess_host, ess_staff):
    client.defaults["HTTP_HOST"] = "beta.test"
    client.post("/login", {"username": ess_host.email, "password": PASSWORD})
    assert client.get("/plan").status_code == 403
    assert "Plan and usage" not in client.get("/dashboard").content.decode()
    client.post("/logout")
    client.post("/login", {"username": ess_staff.email, "password": PASSWORD})
    tenant_plan_set(tenant=ess_staff.tenant, plan="professional", actor=ess_staff, via="admin")
    tenant_plan_set(tenant=ess_staff.tenant, plan="essential", via="command", note="trial over")
    html = client.get("/plan").content.decode()
    assert "Plan and usage" in client.get("/dashboard").content.decode()
    assert "<h1>Essential</h1>" in html
    assert "Room file storage" in html and "Recording minutes per month" in html
    assert "Part of Professional" in html and "trial over" in html and "erin@example.com" in html


def test_a_professional_page_on_essential_explains_itself(ess, rf):
    @plan_feature("whiteboard")
    def board(request):
        raise AssertionError("must not run")

    request = RequestFactory().get("/board", HTTP_HOST="beta.test")
    request.tenant = ess
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = board(request)
    assert response.status_code == 403
    assert b"Part of Professional" in response.content
    assert board.plan_feature == "whiteboard"


# --- branding ------------------------------------------------------------------------------------------
def test_each_tenant_gets_its_own_colours(client, tenant_a, ess):
    ess.accent_color, ess.brand_name = "#0b6e4f", "Beta Meet"
    ess.save()
    css = client.get("/brand/theme.css", HTTP_HOST="beta.test")
    assert css["Content-Type"] == "text/css; charset=utf-8"
    rules = ";".join(f"{k}:{v}" for k, v in accent_shades("#0b6e4f").items())
    assert css.content.decode() == ":root{" + rules + "}\n"
    assert "public" in css["Cache-Control"]
    default = client.get("/brand/theme.css", HTTP_HOST="localhost").content.decode()
    assert "--accent" not in default
    page = client.get("/login", HTTP_HOST="beta.test").content.decode()
    assert re.search(r'<link rel="stylesheet" href="/brand/theme.css\?v=\d+">', page)
    assert "Beta Meet" in page and "<title>Log in · Beta Meet</title>" in page
    assert "Beta Meet" not in client.get("/login", HTTP_HOST="localhost").content.decode()


def test_no_logo_is_a_404(client, tenant_a):
    assert client.get("/brand/logo", HTTP_HOST="localhost").status_code == 404


def test_accent_shades_and_contrast():
    assert accent_shades("#0B6E4F") == {"--accent": "#0b6e4f", "--accent-dark": "#095a41",
                                        "--accent-soft": "#e7f0ed"}
    assert contrast_with_white("#000000") == pytest.approx(21)
    assert contrast_with_white("#ffffff") == pytest.approx(1)


def test_emails_carry_the_tenants_branding(ess, settings):
    settings.EMAIL_ENABLED = True
    ess.brand_name, ess.accent_color, ess.logo = "Beta Meet", "#0b6e4f", "branding/2/logo-x.png"
    ess.save()
    sent = tenant_mail_send(tenant=ess, to=["a@example.com"], subject="Hello", template="email/plan_changed",
                            context={"change": PlanChange(from_plan="professional", to_plan="essential"),
                                     "old": type("P", (), {"name": "Professional"}),
                                     "new": type("P", (), {"name": "Essential"}), "downgrade": True})
    assert sent == 1
    (message,) = mail.outbox
    assert message.subject == "[Beta Meet] Hello"
    html = message.alternatives[0].content
    assert "http://beta.test/brand/logo?v=" in html and "#0b6e4f" in html and 'alt="Beta Meet"' in html
    assert "Beta Meet · http://beta.test" in message.body and "Nothing is" in message.body


def test_staff_are_told_when_the_plan_changes(ess, ess_staff, ess_host, settings):
    settings.EMAIL_ENABLED = True
    change = tenant_plan_set(tenant=ess, plan="professional", via="command")
    assert plan_change_notify.call(change_id=change.pk) == 1
    (message,) = mail.outbox
    assert message.to == ["erin@example.com"]  # staff only, not every user
    assert "Your plan is now Professional" in message.subject


def test_without_email_configured_nothing_is_sent(ess, ess_staff, settings):
    settings.EMAIL_ENABLED = False
    change = tenant_plan_set(tenant=ess, plan="professional", via="command")
    assert plan_change_notify.call(change_id=change.pk) == 0
    assert mail.outbox == []
