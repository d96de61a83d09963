"""Plans and branding in a real browser: an Essential, branded tenant's pages (the accent
colour applied from its generated stylesheet, locked controls explained), the SDK's
"plan-required" event, and the admin as a superuser and as tenant staff — screenshots in
test-artifacts/screenshots/plans-*.png."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, make_user
from meetings.tests.api_helpers import make_meeting
from portal.accounts.models import User
from portal.plans.services import tenant_plan_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def branded_essential(tenant_a, host):
    tenant_a.brand_name, tenant_a.accent_color = "Acme Meet", "#0b6e4f"
    tenant_a.save()
    tenant_plan_set(tenant=tenant_a, plan="essential", actor=None, via="command", note="trial ended")
    return tenant_a


def log_in(page, live_url, user, path="/login"):
    page.goto(f"{live_url}{path}")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_essential_branded_site(page, live_url, host, branded_essential, screenshot):
    log_in(page, live_url, host)
    expect(page.get_by_role("link", name="Acme Meet home")).to_be_visible()
    accent = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert accent == "#0b6e4f"
    button = page.get_by_role("link", name="New meeting")
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 110, 79)"
    button.click()
    expect(page.get_by_text("Part of Professional")).to_be_visible()
    expect(page.get_by_label("Enable transcript")).to_be_disabled()
    screenshot(page, "plans-new-meeting-essential")


def test_the_sdk_tells_why_a_feature_is_refused(page, live_url, host, branded_essential):
    meeting = make_meeting(host, title="Plans in the SDK")
    log_in(page, live_url, host)
    page.goto(f"{live_url}/meetings/{meeting.pk}/room")
    expect(page.locator("[data-status]")).to_have_text("Connected")
    # The room page marks the whiteboard as a Professional control instead of offering it.
    board = page.get_by_role("button", name="Whiteboard", exact=True)
    expect(board).to_contain_text("Part of Professional")
    expect(board).to_have_attribute("aria-disabled", "true")
    result = page.evaluate("""async () => {
        const { Room } = await import("/static/parley/sdk.js");
        const { token } = JSON.parse(document.getElementById("room-config").textContent);
        const room = new Room({ token, reconnect: false });
        await room.connect();
        const refused = new Promise((resolve) => room.on("plan-required", resolve));
        room.sendData({ type: "sendDrawingData", msg: { drawingType: "mousedown", payload: {} } });
        const frame = await refused;
        const answer = {
            plan: room.plan.code, whiteboard: room.allows("whiteboard"), chat: room.allows("chat"),
            code: frame.code, required: frame.plan, feature: frame.feature, detail: frame.detail,
        };
        room.leave();
        return answer;
    }""")
    assert result == {
        "plan": "essential", "whiteboard": False, "chat": True, "code": "plan_required",
        "required": "professional", "feature": "whiteboard",
        "detail": "Interactive whiteboard and annotation is part of the Professional plan; this site is on "
                  "Essential.",
    }


def test_plan_and_usage_for_staff(page, live_url, branded_essential, screenshot):
    staff = make_user(branded_essential, "stella@example.com", "Stella", is_staff=True)
    log_in(page, live_url, staff)
    page.get_by_role("link", name="Plan and usage").click()
    expect(page.get_by_role("heading", name="Essential")).to_be_visible()
    expect(page.get_by_text("trial ended")).to_be_visible()
    screenshot(page, "plans-usage-page")


def test_the_admin_as_superuser_and_as_tenant_staff(page, live_url, branded_essential, new_page, screenshot):
    root = User.objects.create_superuser("root@example.com", PASSWORD)
    log_in(page, live_url, root, "/admin/login/")
    page.goto(f"{live_url}/admin/portal/tenant/{branded_essential.pk}/change/")
    expect(page.get_by_label("Plan:")).to_have_value("essential")
    page.get_by_label("Plan:").select_option("professional")
    page.get_by_label("Note for the plan history:").fill("upgraded after the demo")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("upgraded after the demo")).to_be_visible()
    screenshot(page, "plans-admin-superuser")

    staff = make_user(branded_essential, "stella@example.com", "Stella", is_staff=True)
    other = new_page()
    log_in(other, live_url, staff, "/admin/login/")
    other.goto(f"{live_url}/admin/portal/tenant/{branded_essential.pk}/change/")
    expect(other.get_by_text("upgraded after the demo")).to_be_visible()
    expect(other.locator("select[name=plan]")).to_have_count(0)  # read-only for staff
    expect(other.get_by_label("Accent color:")).to_have_value("#0b6e4f")
    screenshot(other, "plans-admin-tenant-staff")
