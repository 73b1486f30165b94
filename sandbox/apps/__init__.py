"""Demo third-party login sites: the places people log in to through Latchkey, with no SSO.

`create_apps_app()` serves them on one origin (the sandbox CLI uses http://127.0.0.1:8420), each
under its own prefix and with a session cookie of its own (`demo_<key>_session`):

====================  ==============  ===================================================
site key              name            login
====================  ==============  ===================================================
``single``            Acme Files      email + password on one page; a honeypot input
``stepwise``          Globex Payroll  email, Next, password on a second page (round trip)
``stepwise-js``       Initech Wiki    email, Next, password appears in the page (script)
``totp``              Umbrella Cloud  email + password, then a 6-digit code (one box)
``totp-split``        Hooli Mail      email, Next, password, then a code over 6 boxes
====================  ==============  ===================================================

Routes of each site (prefix ``/<key>``)::

    GET       /<key>/                   to the account page if signed in, else to the login
    GET|POST  /<key>/login              first step (email, or email and password)
    GET|POST  /<key>/login/password     second step of round-trip identifier-first sites
    GET|POST  /<key>/verify             the code step (form field ``otp``, or six ``code[]``)
    GET       /<key>/account            success page: "Signed in as <user>"
    GET|POST  /<key>/account/password   change password (signed in)
    POST      /<key>/logout             sign out
    POST      /<key>/api/password       change password by JSON (see `password_change`)

plus ``GET /`` (index) and the control plane ``/_control/…`` (see `control`).

`create_lookalike_app()` renders the same pages on another origin (e.g. :8421) and records what
is submitted to it (``GET /_captured``). `demo_seed()` makes the accounts (random passwords and
TOTP secrets unless given) and `seed_of(app)` reads back what an app holds now.
"""

from __future__ import annotations

from sandbox.apps.accounts import DemoCredentials
from sandbox.apps.app import create_apps_app, seed_of
from sandbox.apps.lookalike import create_lookalike_app
from sandbox.apps.seed import DEFAULT_USERNAME, SiteSeed, demo_seed
from sandbox.apps.sites import SITES, Site

__all__ = [
    "DEFAULT_USERNAME",
    "SITES",
    "DemoCredentials",
    "Site",
    "SiteSeed",
    "create_apps_app",
    "create_lookalike_app",
    "demo_seed",
    "seed_of",
]
