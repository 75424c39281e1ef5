"""German labels that staff read in reasons, answers and pages, each spelled once.

``matcher.records.render`` keeps its own working-time table ("Vollzeit oder Teilzeit"): it writes the
text the encoder embeds, and changing its spelling would change every vector.
"""

from __future__ import annotations

from matcher.records.models import WorkingTime

WORKING_TIME_DE: dict[str, str] = {
    WorkingTime.FULL_TIME.value: "Vollzeit",
    WorkingTime.PART_TIME.value: "Teilzeit",
    WorkingTime.EITHER.value: "Voll- oder Teilzeit",
}
"""Working time (``WorkingTime`` value) in German."""

COMMUTE_MODE_DE: dict[str, str] = {"car": "mit dem Auto", "public_transport": "mit Bus und Bahn"}
"""How a person gets to work (``PairFacts.commute_mode``), as the reasons and cards say it."""
