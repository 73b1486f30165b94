"""Playwright harness for Latchkey's browser extension, in Debian's Chromium.

`browser` launches Chromium with the unpacked extension loaded and finds its service worker;
`pages` serves fixture pages and the extension's pure `lib/` modules over loopback; `driver` runs
those modules in a page as the extension's background and agent would, for tests that must not
depend on the broker. The tests live in `tests/e2e/`.
"""
