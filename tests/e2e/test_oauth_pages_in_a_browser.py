"""The shopper's pages of the OAuth server in a real browser: the authorization-code flow from a storefront page,
completed with the keyboard alone; CSRF and framing refused; labels, focus and announced errors."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from tests.fixtures.browser import TIMEOUT, LiveServer
from tests.fixtures.oauth import RegisterClient, authorize_query, pkce
from tests.fixtures.tenants import TenantHandle

PASSWORD = "a long enough password 1"  # pragma: allowlist secret


def keys() -> Any:
    from selenium.webdriver.common.keys import Keys

    return Keys


def by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def wait_for(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, TIMEOUT).until(condition)


def focused(driver: Any) -> Any:
    return driver.switch_to.active_element


def press(driver: Any, *strokes: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(driver)
    for stroke in strokes:
        chain.send_keys(stroke)
    chain.perform()


def tab_to(driver: Any, element_id: str, *, limit: int = 10) -> None:
    """Press Tab until ``element_id`` has the focus (as a keyboard user would), or fail."""
    for _ in range(limit):
        if focused(driver).get_attribute("id") == element_id:
            return
        press(driver, keys().TAB)
    assert focused(driver).get_attribute("id") == element_id, f"Tab never reached #{element_id}"


async def authorize_url(
    live_server: LiveServer, storefront_site: str, tenant: TenantHandle, register_client: RegisterClient
) -> tuple[str, str, str]:
    """(authorization URL, client id, PKCE verifier) for a third-party storefront whose callback is on the site."""
    client = await register_client(tenant, redirect_uris=[f"{storefront_site}/callback"])
    verifier, challenge = pkce()
    query = authorize_query(client.client_id, challenge, redirect_uri=f"{storefront_site}/callback", state="st-42")
    return f"{live_server.origin(tenant.slug)}/oauth/authorize?{query}", client.client_id, verifier


async def test_a_shopper_signs_up_and_authorizes_a_storefront_with_the_keyboard_alone(
    chrome: Any, live_server: LiveServer, storefront_site: str, tenant_a: TenantHandle, register_client: RegisterClient
) -> None:
    url, client_id, verifier = await authorize_url(live_server, storefront_site, tenant_a, register_client)
    email = f"kb-{time.time_ns()}@example.com"
    chrome.get(f"{storefront_site}/?authorize={quote(url, safe='')}")

    tab_to(chrome, "sign-in")
    press(chrome, keys().ENTER)  # to the shop's sign-in page
    wait_for(chrome, lambda d: d.title.startswith("Sign in"))
    assert focused(chrome).get_attribute("id") == "email"  # the first field has the focus
    press(chrome, keys().TAB, keys().TAB, keys().TAB)  # password, "Sign in", then the sign-up link
    assert focused(chrome).text == "Create an account"
    press(chrome, keys().ENTER)
    wait_for(chrome, lambda d: d.title.startswith("Create an account"))
    assert focused(chrome).get_attribute("id") == "name"
    press(chrome, "Kay Board", keys().TAB, email, keys().TAB, PASSWORD, keys().ENTER)
    wait_for(chrome, lambda d: d.title.startswith("Allow access"))
    tab_to(chrome, "allow")
    press(chrome, keys().ENTER)

    wait_for(chrome, lambda d: d.current_url.startswith(f"{storefront_site}/callback"))
    code = chrome.find_element(by().ID, "code").text
    assert chrome.find_element(by().ID, "state").text == "st-42"
    async with live_server.client(tenant_a.slug) as http:
        token = await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": f"{storefront_site}/callback",
                "client_id": client_id,
                "code_verifier": verifier,
            },
        )
        assert token.status_code == 200, token.text
        profile = await http.get(
            "/storefront/v1/customer", headers={"authorization": f"Bearer {token.json()['access_token']}"}
        )
    assert profile.json()["email"] == email


async def test_fields_are_labelled_and_errors_are_announced_where_the_focus_is(
    chrome: Any, live_server: LiveServer, storefront_site: str, tenant_a: TenantHandle, register_client: RegisterClient
) -> None:
    url, _, _ = await authorize_url(live_server, storefront_site, tenant_a, register_client)
    chrome.get(url)
    wait_for(chrome, lambda d: d.title.startswith("Sign in"))
    for field in chrome.find_elements(by().CSS_SELECTOR, "input:not([type=hidden])"):
        labels = chrome.find_elements(by().CSS_SELECTOR, f"label[for='{field.get_attribute('id')}']")
        assert [label.text for label in labels if label.text.strip()], f"#{field.get_attribute('id')} has no label"

    press(chrome, "nobody@example.com", keys().TAB, "wrong password 123", keys().ENTER)
    wait_for(chrome, lambda d: d.find_elements(by().CSS_SELECTOR, "[role=alert]"))

    alert = chrome.find_element(by().CSS_SELECTOR, "[role=alert]")
    assert alert.text  # said, not only coloured
    password = chrome.find_element(by().ID, "password")
    assert password.get_attribute("aria-invalid") == "true"
    assert password.get_attribute("aria-describedby") == alert.get_attribute("id")
    assert focused(chrome).get_attribute("id") == "password"  # the email is kept; the password is next to fix
    assert chrome.find_element(by().ID, "email").get_attribute("value") == "nobody@example.com"


async def test_a_forged_csrf_token_and_a_cross_site_post_are_refused(
    chrome: Any, live_server: LiveServer, storefront_site: str, tenant_a: TenantHandle, register_client: RegisterClient
) -> None:
    url, _, _ = await authorize_url(live_server, storefront_site, tenant_a, register_client)
    origin = live_server.origin(tenant_a.slug)
    chrome.get(url)
    wait_for(chrome, lambda d: d.title.startswith("Sign in"))
    chrome.execute_script("document.querySelector('input[name=csrf_token]').value = 'forged'")
    press(chrome, "someone@example.com", keys().TAB, "any password 123", keys().ENTER)
    wait_for(chrome, lambda d: "csrf_failed" in d.page_source)

    # Another site posts the sign-in form with the right field names: its request carries no CSRF cookie
    # (SameSite=Strict), so it is refused whatever token it guesses.
    chrome.get(f"{storefront_site}/")
    chrome.execute_script(
        """const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];
        for (const [name, value] of Object.entries({csrf_token: 'guess', email: 'a@example.com', password: 'x'})) {
          const input = document.createElement('input'); input.name = name; input.value = value; form.append(input);
        }
        document.body.append(form); form.submit();""",
        f"{origin}/oauth/login",
    )
    wait_for(chrome, lambda d: d.current_url.startswith(origin))
    wait_for(chrome, lambda d: "csrf_failed" in d.page_source)


async def test_another_site_cannot_frame_the_sign_in_page(
    chrome: Any, live_server: LiveServer, storefront_site: str, tenant_a: TenantHandle, register_client: RegisterClient
) -> None:
    url, _, _ = await authorize_url(live_server, storefront_site, tenant_a, register_client)

    chrome.get(f"{storefront_site}/framed?src={quote(url, safe='')}")
    wait_for(chrome, lambda d: d.find_elements(by().ID, "frame"))

    refused = wait_for(
        chrome,
        lambda d: [entry for entry in d.get_log("browser") if "frame-ancestors" in entry["message"]] or False,
    )
    assert refused
    chrome.switch_to.frame(chrome.find_element(by().ID, "frame"))
    assert chrome.find_elements(by().ID, "email") == []  # nothing of the form rendered inside the frame
    chrome.switch_to.default_content()
