"""The model that serves shortlists, as one value: the re-ranker and what the registry says about it.

The engine holds one :class:`ServingModel` and swaps it whole when the change log says the
champion moved (:meth:`matcher.ranking.engine.Engine.sync`); :mod:`matcher.services.serving` makes the loader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matcher.ranking.reranker import Reranker


@dataclass(frozen=True)
class ModelInfo:
    """The model that serves: registry name, version and run, and the scorer name it answers with."""

    name: str
    version: str
    run_id: str | None
    scorer: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "run_id": self.run_id, "scorer": self.scorer}


@dataclass(frozen=True)
class ServingModel:
    """The re-ranker that scores shortlists and what the registry says about it.

    ``info`` is None when no model serves (no champion yet): the engine then ranks by similarity
    but is not ready to answer. One value, so that ``sync`` swaps both at once.
    """

    reranker: Reranker
    info: ModelInfo | None = None


ModelLoader = Callable[[], ServingModel]


__all__ = ["ModelInfo", "ModelLoader", "ServingModel"]
