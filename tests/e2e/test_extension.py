"""The extension itself in Chromium: it loads, its pages work, web pages cannot reach it, and a
launch page it cannot redeem shows the refusal and opens nothing."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import ConsoleMessage, Error, Page, expect

from e2e.browser import EXTENSION_ID, LoadedExtension


def _errors(page: Page) -> list[str]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.append(message.text)

    def on_error(error: Error) -> None:
        found.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_error)
    return found


def _set_broker(extension: LoadedExtension, page: Page, value: str) -> None:
    page.goto(extension.url("options/options.html"))
    page.fill("#broker-url", value)
    page.click("#save")


def _storage(extension: LoadedExtension, area: str) -> dict[str, Any]:
    found: dict[str, Any] = extension.worker.evaluate(f"chrome.storage.{area}.get(null)")
    return found


def test_extension_loads_with_its_fixed_id(extension: LoadedExtension) -> None:
    assert extension.id == EXTENSION_ID
    manifest = extension.worker.evaluate("chrome.runtime.getManifest()")
    assert manifest["manifest_version"] == 3
    assert manifest["permissions"] == ["storage", "tabs", "scripting"]


def test_popup_renders_without_errors(extension: LoadedExtension, page: Page) -> None:
    errors = _errors(page)
    extension.worker.evaluate("chrome.storage.local.remove('brokerUrl')")  # a first run
    page.goto(extension.url("popup/popup.html"))
    expect(page.locator("#member")).to_have_text("Not signed in.")
    expect(page.locator("#broker")).to_have_text("No broker configured: see Options.")
    expect(page.locator("#setup")).to_be_visible()
    expect(page.locator("#last-launch")).to_have_text("None yet.")
    assert errors == []


def test_options_store_the_broker_url_and_register_the_launch_script(
    extension: LoadedExtension, page: Page, pages_url: str
) -> None:
    errors = _errors(page)
    _set_broker(extension, page, f" {pages_url}/ ")
    expect(page.locator("#status")).to_have_text("Saved.")
    assert _storage(extension, "local")["brokerUrl"] == pages_url
    page.wait_for_function("true")  # let the worker see the change
    extension.worker.evaluate(
        """async () => {
            for (let i = 0; i < 50; i++) {
                const found = await chrome.scripting.getRegisteredContentScripts();
                if (found.length && found[0].matches[0] === "http://127.0.0.1/launch/*") return;
                await new Promise((r) => setTimeout(r, 50));
            }
            throw new Error("the launch script was not registered for the broker: " +
                JSON.stringify([await chrome.scripting.getRegisteredContentScripts(),
                                await chrome.storage.local.get(null)]));
        }"""
    )
    assert errors == []


def test_options_refuse_an_insecure_broker_url(
    extension: LoadedExtension, page: Page, pages_url: str
) -> None:
    _set_broker(extension, page, pages_url)
    expect(page.locator("#status")).to_have_text("Saved.")
    _set_broker(extension, page, "http://latchkey.example.com")
    expect(page.locator("#broker-url-error")).to_contain_text("https://")
    assert _storage(extension, "local")["brokerUrl"] == pages_url


def test_web_pages_cannot_message_the_extension(page: Page, pages_url: str) -> None:
    page.goto(f"{pages_url}/fixtures/single.html")
    reachable = page.evaluate(
        "() => typeof chrome !== 'undefined' && !!chrome.runtime && !!chrome.runtime.sendMessage"
    )
    assert reachable is False


def test_messages_from_an_extension_page_for_content_scripts_are_refused(
    extension: LoadedExtension, page: Page
) -> None:
    page.goto(extension.url("popup/popup.html"))
    answers = page.evaluate(
        """async () => [
            await chrome.runtime.sendMessage({command: "agent.hello"}),
            await chrome.runtime.sendMessage({command: "agent.page", page: {}}),
            await chrome.runtime.sendMessage({command: "launch", grant: "g"}),
            await chrome.runtime.sendMessage({command: "nope"}),
            await chrome.runtime.sendMessage("launch"),
        ]"""
    )
    assert answers == [
        {"refused": "sender_not_allowed"},
        {"refused": "sender_not_allowed"},
        {"refused": "sender_not_allowed"},
        {"refused": "unknown_command"},
        {"refused": "bad_message"},
    ]


def test_launch_page_hands_over_the_grant_and_shows_the_refusal(
    extension: LoadedExtension, page: Page, pages_url: str
) -> None:
    # The fixture server plays the broker's web side only: its extension API does not exist,
    # so the redemption fails and the extension must say so and open nothing.
    _set_broker(extension, page, pages_url)
    expect(page.locator("#status")).to_have_text("Saved.")
    extension.worker.evaluate(
        """async () => {
            for (let i = 0; i < 50; i++) {
                const found = await chrome.scripting.getRegisteredContentScripts();
                if (found.length && found[0].matches[0].startsWith("http://127.0.0.1/")) return;
                await new Promise((r) => setTimeout(r, 50));
            }
        }"""
    )
    launch_url = f"{pages_url}/launch/acc_fixture"
    page.goto(launch_url)
    expect(page.locator("html")).to_have_attribute("data-latchkey-extension", "present")
    expect(page.locator("#latchkey-launch-status")).not_to_have_text(
        "The Latchkey extension is signing you in."
    )
    assert page.locator("meta[name^=latchkey]").count() == 0, "the grant left the page"
    page.wait_for_timeout(300)
    assert page.url == launch_url, "nothing was opened"
    last = _storage(extension, "session")["lastLaunch"]
    assert last["phase"] == "failed"
    assert not any(key.startswith("flow:") for key in _storage(extension, "session"))


def test_blocked_page_is_left_alone(extension: LoadedExtension, page: Page, pages_url: str) -> None:
    _set_broker(extension, page, pages_url)
    response = page.goto(f"{pages_url}/launch/acc_unknown")
    assert response is not None
    assert response.status == 403
    page.wait_for_timeout(300)
    assert page.locator("html").get_attribute("data-latchkey-extension") is None
