"""The OpenAPI description of `/collections…` of the admin API (`broker.admin_api.collections`):
its paths and schemas, merged into the admin document by `openapi.py`."""

from __future__ import annotations

from typing import Any

from broker.admin_api.vault_openapi import TIME, op, path_param, ref

_CID = path_param("collection_id")
_AID = path_param("account_id")
_STATE = {"type": ["string", "null"], "enum": ["pending", "synced", "failed", "removing", None]}

SCHEMAS: dict[str, Any] = {
    "AdminCollectionRow": {
        "type": "object",
        "required": ["id", "name", "parent_id", "depth", "role", "accounts", "extended"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": {"type": ["string", "null"]},
            "depth": {"type": "integer", "minimum": 0, "description": "0: shown at the top."},
            "role": {"type": "string", "enum": ["owner", "collaborator"]},
            "accounts": {"type": "integer", "minimum": 0, "description": "Held directly."},
            "extended": {"type": "boolean"},
        },
    },
    "AdminCollections": {
        "type": "object",
        "required": ["collections"],
        "properties": {"collections": {"type": "array", "items": ref("AdminCollectionRow")}},
    },
    "AdminCollection": {
        "type": "object",
        "required": [
            "id",
            "name",
            "parent_id",
            "role",
            "okta",
            "extended_through",
            "accounts",
            "collections",
            "accounts_beneath",
            "not_in_okta",
            "allowed",
        ],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": {"type": ["string", "null"]},
            "role": {"type": "string", "enum": ["owner", "collaborator"]},
            "okta": {
                "description": "null: this collection itself is not extended.",
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["extended_at", "extended_by"],
                        "properties": {
                            "extended_at": TIME,
                            "extended_by": {"type": ["string", "null"]},
                        },
                    },
                ],
            },
            "extended_through": {
                "type": ["string", "null"],
                "description": "An extended collection above this one, if any.",
            },
            "accounts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "name",
                        "app_name",
                        "login_origin",
                        "sync_state",
                        "through_collection",
                        "last_error",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "app_name": {"type": "string"},
                        "login_origin": {"type": "string"},
                        "sync_state": _STATE,
                        "through_collection": {"type": "boolean"},
                        "last_error": {"type": ["string", "null"]},
                    },
                },
            },
            "collections": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                },
            },
            "accounts_beneath": {"type": "integer", "minimum": 0},
            "not_in_okta": {"type": "integer", "minimum": 0},
            "allowed": {
                "type": "object",
                "required": ["manage", "extend", "remove_from_okta"],
                "properties": {
                    "manage": {"type": "boolean"},
                    "extend": {"type": "boolean"},
                    "remove_from_okta": {"type": "boolean"},
                },
            },
        },
    },
    "AdminCollectionChange": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "parent_id": {
                "type": ["string", "null"],
                "description": "null: a top collection. Never the collection itself or one "
                "beneath it.",
            },
        },
    },
    "AdminCollectionNew": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "parent_id": {"type": ["string", "null"]},
        },
    },
    "AdminCollectionDeleted": {
        "type": "object",
        "required": ["deleted", "accounts", "adopted"],
        "properties": {
            "deleted": {"type": "string", "description": "The collection's name."},
            "accounts": {"type": "integer", "description": "Accounts that were in it: they stay."},
            "adopted": {
                "type": "integer",
                "description": "Of those, how many the caller now owns directly (nobody else "
                "could run them).",
            },
        },
    },
    "AdminCollectionAccount": {
        "type": "object",
        "required": ["collection"],
        "properties": {
            "extended_to_okta": {"type": "boolean", "description": "Extended with the collection."},
            "adopted": {"type": "boolean", "description": "The caller became its direct Owner."},
            "collection": ref("AdminCollection"),
        },
    },
    "AdminCollectionExtended": {
        "type": "object",
        "required": ["extended", "collection"],
        "properties": {
            "extended": {"type": "integer", "description": "Accounts newly extended."},
            "collection": ref("AdminCollection"),
        },
    },
    "AdminCollectionRemoval": {
        "type": "object",
        "required": ["removing", "kept"],
        "properties": {
            "removing": {"type": "array", "items": {"type": "string"}},
            "kept": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Extended on their own or by another extended collection.",
            },
        },
    },
    "AdminQueued": {
        "type": "object",
        "required": ["queued"],
        "properties": {"queued": {"type": "integer", "minimum": 0}},
    },
}

PATHS: dict[str, Any] = {
    "/collections": {
        "get": op("Collections the caller can see", (200, "AdminCollections"), (401,)),
        "post": op(
            "Create a collection (at the top: the caller becomes its Owner)",
            (201, "AdminCollection"),
            (400, 401, 403, 404, 409, 413, 415),
            write=True,
            body="AdminCollectionNew",
        ),
    },
    "/collections/{collection_id}": {
        "get": op(
            "A collection, its accounts and sub-collections",
            (200, "AdminCollection"),
            (401, 404),
            params=[_CID],
        ),
        "patch": op(
            "Rename and/or move a collection (a move under itself is refused)",
            (200, "AdminCollection"),
            (400, 401, 403, 404, 409, 413, 415),
            write=True,
            params=[_CID],
            body="AdminCollectionChange",
        ),
        "delete": op(
            "Delete a collection and those inside it; the accounts stay",
            (200, "AdminCollectionDeleted"),
            (401, 403, 404),
            write=True,
            params=[_CID],
        ),
    },
    "/collections/{collection_id}/accounts/{account_id}": {
        "put": op(
            "Put an account into the collection (Owner on both)",
            (200, "AdminCollectionAccount"),
            (401, 403, 404),
            write=True,
            params=[_CID, _AID],
        ),
        "delete": op(
            "Take an account out of the collection (it stays in Latchkey)",
            (200, "AdminCollectionAccount"),
            (401, 403, 404, 409),
            write=True,
            params=[_CID, _AID],
        ),
    },
    "/collections/{collection_id}/extension": {
        "post": op(
            "Extend the collection to Okta: every account in it and beneath, now and later",
            (201, "AdminCollectionExtended"),
            (401, 403, 404, 409),
            write=True,
            params=[_CID],
        ),
        "delete": op(
            "Remove the collection from Okta",
            (202, "AdminCollectionRemoval"),
            (401, 403, 404, 409),
            write=True,
            params=[_CID],
        ),
    },
    "/collections/{collection_id}/extension/sync": {
        "post": op(
            "Sync every extended account of the collection manually",
            (202, "AdminQueued"),
            (401, 403, 404, 409),
            write=True,
            params=[_CID],
        )
    },
}
