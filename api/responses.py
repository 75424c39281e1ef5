"""A lean JSON response: orjson over plain dicts, for the answers that are large and frequent."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class LeanJSON(JSONResponse):
    """``application/json`` via orjson (numpy scalars and dates included)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
