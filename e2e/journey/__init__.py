"""The user's journey end to end (DESIGN.md, "The user's journey"), as a person lives it.

`stack.serve_stack` brings the sandbox org, the demo sites and the broker up on loopback and does
the admin's and the owner's part (SCIM provisioning, Okta settings, extending, a sync pass);
`user` holds the person's steps in Chromium with the real extension (dashboard, chiclet, launch);
`run.chiclet_login` tells one chiclet login step by step, for `latchkey demo`. The tests live in
`tests/e2e/test_journey.py`; docs/qa.md says how QA runs them.
"""
