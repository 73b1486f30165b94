"""Domain services: every change to workspaces, members, teams, collections, accounts and shares.

Each function works inside the caller's session and transaction (see `broker.db.transaction`),
validates its input before writing, raises a `broker.errors.DomainError` on bad input, and writes
the audit event and the sync-outbox row of its change in that same transaction.
"""
