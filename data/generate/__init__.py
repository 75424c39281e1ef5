"""The seeded demo world: job seekers, vacancies and placement history of Kaiserslautern.

``generate_world(out, WorldConfig(...))`` writes the export folder in exactly the formats of
``data/README.md``, grounded in the real reference data (KldB codes and task lists, BA job titles,
ESCO skills with German labels, the 51 municipalities). Outcomes of the historical proposals come
from a hidden preference model, documented in :mod:`data.generate.preferences`, with a switchable
historical bias against older job seekers. Nothing in ``matcher/`` imports this package; the
training evaluation reads the hidden preferences only through :class:`data.generate.oracle.Oracle`
(the re-ranker's ceiling), never as features.
"""

from data.generate.config import WorldConfig
from data.generate.world import generate_world

__all__ = ["WorldConfig", "generate_world"]
