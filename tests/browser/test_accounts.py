import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_in_the_browser_ends_on_the_dashboard(page, live_url, tenant_a, screenshot):
    page.goto(f"{live_url}/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Phone number").fill("+44 20 7946 0958")
    page.get_by_label("Country").fill("United Kingdom")
    page.get_by_label("Password").fill("analytical-engine-1843")
    screenshot(page, "signup")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    screenshot(page, "dashboard-empty")


def test_log_in_and_out_in_the_browser(page, live_url, host):
    page.goto(f"{live_url}/login")
    page.get_by_label("Email").fill(host.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_wrong_password_shows_an_error(page, live_url, host):
    page.goto(f"{live_url}/login")
    page.get_by_label("Email").fill(host.email)
    page.get_by_label("Password").fill("not-it")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct email")
