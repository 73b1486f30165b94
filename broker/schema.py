"""Every table of the broker, in one import: the metadata Alembic, tests and `create_all` use.

A module that defines tables adds its import here (one line each, alphabetical).
"""

from __future__ import annotations

import broker.budget_models
import broker.ext_tables
import broker.models
import broker.rotation.models
import broker.session_models
import broker.token_models  # noqa: F401
from broker.db import Base

metadata = Base.metadata
