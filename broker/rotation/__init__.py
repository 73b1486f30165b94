"""Password rotation: when a member who could use an account leaves, its password changes.

`queue.request_rotation` records the need in the caller's transaction (SCIM deactivation calls
it); `runner.RotationRunner` takes due jobs, has the account's site change the password through
a `drivers.RotationDriver`, and stores the new one in the vault; `cli.rotate` runs it
(`latchkey rotate --once`).
"""
