"""The paging parameters of every list endpoint: one definition, so every page has the same bounds.

``limit`` is 1 to :data:`~api.schemas.PAGE_MAX`. ``offset`` is 0 to :data:`OFFSET_MAX` (10**9):
SQLite binds LIMIT/OFFSET as signed 64-bit integers, so an offset above 2**63 - 1 overflowed in
the driver and answered 500; any bound below that fixes the crash. 10**9 is far above any table
the store will hold (a page beyond the last one is simply empty), fits a 32-bit signed integer
on every database backend (PostgreSQL included), and keeps the bound readable in the OpenAPI
schema. Out of range, both answer 422 like any other invalid parameter.

Use them as ``limit: Limit = 50, offset: Offset = 0`` (each endpoint keeps its own default).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.schemas import PAGE_MAX

OFFSET_MAX = 10**9

Limit = Annotated[int, Query(ge=1, le=PAGE_MAX, description=f"page size, 1 to {PAGE_MAX}")]
Offset = Annotated[int, Query(ge=0, le=OFFSET_MAX, description=f"items to skip, 0 to {OFFSET_MAX:_}")]
