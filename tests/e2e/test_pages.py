"""The pages for people in headless Chromium, as a visitor sees them: accessibility measured by
axe-core, layout on a 390 px phone and a 1280 px desktop in light and dark mode, the copy
buttons with JavaScript and the plain feed addresses without it.

Screenshots go to test-output/ (git-ignored): pages-<page>-<scheme>-<width>.png. axe's findings
are written to test-output/axe.json (and printed); any of moderate, serious or critical impact
fails the test (the pages, both embeds and the test's partner page have none).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.httpd import LocalServer
from .browser import DESKTOP, PHONE, SCREENSHOTS, Browser, Visit, chromium, report
from .site import Site, Wire
from .test_browser import assert_clean, partner_page

PAGES = {"index": "/", "category": "/c/news"}


def scroll_through(visit: Visit) -> None:
    """Scroll to the bottom and back, so lazy images load as they would for a reader."""
    visit.page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    visit.page.wait_for_load_state("networkidle")
    visit.page.evaluate("window.scrollTo(0, 0)")


def test_pages_and_embeds_have_no_accessibility_violation(
    site: Site, partner: LocalServer, browser: Browser
) -> None:
    partner.route("/news.html", partner_page(site, "news"),
                  headers={"Content-Type": "text/html; charset=utf-8"})
    urls = {**{name: site.url(path) for name, path in PAGES.items()},
            "iframe-embed": site.url("/embed/news.html"),
            "script-embed": partner.url("/news.html")}
    findings: dict[str, list[str]] = {}
    failures = []
    for name, url in urls.items():
        for scheme in ("light", "dark"):
            visit = browser.open(url, scheme=scheme)
            assert_clean(visit, browser, site)
            violations = visit.axe()
            findings[f"{name} {scheme}"] = [str(v) for v in violations]
            failures += [f"{name} {scheme}: {v}" for v in violations
                         if v.impact != "minor"]
            visit.page.close()
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "axe.json").write_text(json.dumps(findings, indent=1), encoding="utf-8")
    print("axe findings:", json.dumps(findings, indent=1))
    assert not failures, "\n".join(failures)


@pytest.fixture
def french_site(tmp_path: Path, wire: Wire) -> Iterator[Site]:
    """The same site, in French."""
    site = Site(tmp_path / "french", wire)
    site.config["site"]["language"] = "fr"
    site.write_config()
    with site.served():
        yield site


def test_a_french_site_in_french_passes_axe_and_copies_in_french(
    french_site: Site, partner: LocalServer, browser: Browser
) -> None:
    """Translated pages and embeds keep their accessibility, with the languages marked where
    feedhub's words and the site's differ (lang=ja: English words, Japanese dates)."""
    site = french_site
    partner.route("/news.html", partner_page(site, "news"),
                  headers={"Content-Type": "text/html; charset=utf-8"})
    urls = {**{name: site.url(path) for name, path in PAGES.items()},
            "iframe-embed": site.url("/embed/news.html"),
            "iframe-embed-ja": site.url("/embed/news.html?lang=ja"),
            "script-embed": partner.url("/news.html")}
    failures = []
    for name, url in urls.items():
        visit = browser.open(url)
        assert_clean(visit, browser, site)
        failures += [f"{name}: {v}" for v in visit.axe() if v.impact != "minor"]
        visit.page.close()
    assert not failures, "\n".join(failures)
    browser.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                      origin=site.base_url)
    visit = browser.open(site.url("/"))
    assert visit.page.locator("html").get_attribute("lang") == "fr"
    card = visit.page.locator("li.fh-feed").filter(
        has=visit.page.get_by_role("link", name="News", exact=True))
    button = card.locator("button.fh-copy")
    assert button.locator(".fh-copy-label").inner_text() == "Copier"
    status = card.locator("[role=status]")
    button.click()
    visit.page.wait_for_function("el => el.textContent !== ''", arg=status.element_handle())
    assert status.text_content() == "Copié"
    assert button.locator(".fh-copy-label").inner_text() == "Copié"
    assert_clean(visit, browser, site)


def test_axe_finds_what_it_should(site: Site, browser: Browser) -> None:
    """The check can fail: an image without alt and a nameless button are found as such."""
    visit = browser.open(site.url("/"))
    visit.page.evaluate("""() => {
        const main = document.querySelector('main');
        main.append(document.createElement('img'));
        main.append(document.createElement('button'));
    }""")
    rules = {v.rule: v.impact for v in visit.axe()}
    assert rules.get("image-alt") == "critical", report(visit.axe())
    assert rules.get("button-name") == "critical"


IMAGE_FACTS = """() => [...document.querySelectorAll('img')].map(img => {
    const box = img.getBoundingClientRect();
    return {src: img.currentSrc, alt: img.getAttribute('alt'), width: img.getAttribute('width'),
            height: img.getAttribute('height'), box: [box.width, box.height],
            natural: [img.naturalWidth, img.naturalHeight],
            fit: getComputedStyle(img).objectFit, shown: box.width > 0};
})"""


def test_pages_fit_a_phone_and_a_desktop_in_light_and_dark(site: Site, browser: Browser) -> None:
    for name, path in PAGES.items():
        for width in (DESKTOP, PHONE):
            for scheme in ("light", "dark"):
                visit = browser.open(site.url(path), width=width, scheme=scheme)
                scroll_through(visit)
                where = f"{name} at {width} px, {scheme}"
                visit.screenshot(f"pages-{name}-{scheme}-{width}")
                assert_clean(visit, browser, site)
                assert visit.horizontal_overflow() == 0, f"{where} scrolls sideways"
                images = visit.page.evaluate(IMAGE_FACTS)
                if name == "category":
                    assert len([i for i in images if i["shown"]]) >= 2, (where, images)
                for image in images:
                    # Every image has alt text (empty: decorative) and its size set up front.
                    assert image["alt"] is not None, (where, image)
                    assert image["width"] and image["height"], (where, image)
                    shown_w, shown_h = image["box"]
                    assert image["natural"][0] > 0, (where, "did not load", image)
                    assert shown_w <= width, (where, image)
                    # The box keeps the ratio the markup sets, and the picture is cropped
                    # into it (object-fit), never stretched: the tall one is 3:4.
                    ratio = int(image["width"]) / int(image["height"])
                    assert abs(shown_w / shown_h - ratio) < 0.03, (where, image)
                    assert image["fit"] == "cover", (where, image)
                fields = visit.page.locator("code.fh-url")
                buttons = visit.page.locator("button.fh-copy")
                assert fields.count() >= 1 and buttons.count() == fields.count(), where
                for n in range(fields.count()):
                    assert fields.nth(n).is_visible() and buttons.nth(n).is_visible(), where
                    field_box = fields.nth(n).bounding_box()
                    assert field_box is not None and field_box["x"] + field_box["width"] <= width
                visit.page.close()


def test_a_copy_button_copies_the_feed_address_and_says_so(site: Site, browser: Browser) -> None:
    browser.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                      origin=site.base_url)
    visit = browser.open(site.url("/"))
    card = visit.page.locator("li.fh-feed").filter(
        has=visit.page.get_by_role("link", name="News", exact=True))
    address = card.locator("code.fh-url").inner_text()
    assert address == site.url("/feeds/news.rss")
    status = card.locator("[role=status]")
    button = card.locator("button.fh-copy")
    label = button.locator(".fh-copy-label")
    assert status.text_content() == "" and label.inner_text() == "Copy"
    button.click()
    visit.page.wait_for_function("el => el.textContent !== ''", arg=status.element_handle())
    # Said twice: on the button for the eye, in the live region for a screen reader.
    assert status.text_content() == "Copied" and label.inner_text() == "Copied"
    assert visit.page.evaluate("navigator.clipboard.readText()") == address
    assert_clean(visit, browser, site)


def test_without_javascript_the_addresses_are_text_to_select(
    site: Site, tmp_path: Path
) -> None:
    with chromium(tmp_path / "no-js-profile", javascript=False) as browser:
        for name, path in PAGES.items():
            visit = browser.open(site.url(path), width=PHONE)
            visit.screenshot(f"pages-{name}-nojs-{PHONE}")
            fields = visit.page.locator("code.fh-url")
            assert fields.count() >= 1
            for n in range(fields.count()):
                assert fields.nth(n).is_visible()
                assert fields.nth(n).inner_text().startswith(site.url("/feeds/"))
                box = fields.nth(n).bounding_box()
                # Whole: wrapped within the window, not cut off.
                assert box is not None and box["x"] + box["width"] <= PHONE
                assert fields.nth(n).evaluate("el => el.scrollWidth <= el.clientWidth")
            # One click selects the whole address, ready to copy (CSS user-select: all).
            fields.first.click()
            selected = visit.page.evaluate("String(window.getSelection())")
            assert selected == fields.first.inner_text(), selected
            # A button that could do nothing is not shown.
            buttons = visit.page.locator("button.fh-copy")
            assert buttons.count() == fields.count()
            assert not any(buttons.nth(n).is_visible() for n in range(buttons.count()))
            assert visit.horizontal_overflow() == 0
            assert not visit.console_errors
