"""The composition root: the `latchkey` command wires broker, sync, sandbox and e2e together.

    cli.py      the command group and `latchkey db`; registers every subcommand below
    serve.py    `latchkey serve`: the broker app with the sync-side ports plugged in
    keys.py     `latchkey keys`: the vault's master keys
    demo.py     `latchkey seed` and `latchkey demo` (the sandbox and the e2e journey)

Nothing below imports this package: the broker imports neither sync, sandbox nor e2e, and the
pieces meet only here (and in tests). `make lint` enforces that with import-linter.
"""
