"""Match strength in words, from the calibrated probability: the one place that says what
"gute", "mittlere" and "geringe Aussicht" mean.

The probability (:mod:`matcher.ranking.calibration`) is that proposing the pair leads to an interview or
a hire. It is absolute: the same words mean the same chance on every list, whatever else is on it.

Thresholds, from the calibration of the default world's champion (isotonic, fitted on 3,388
proposals of which 342 led to an interview or hire, a base rate of about 10 %): its steps lie at
0, 4, 5, 6, 7, 9, 12 and 31 %. Of the top-10 items of 300 job seekers (2,790 items, default
filters) 91 % got 10-12 % and none 20 % or more: the model tells the weak pairs apart, and only
the top step says more than average (see the README, "Match strength"). So:

- "gute Aussicht": from 20 %, about twice the average proposal;
- "mittlere Aussicht": from 10 %, about the average proposal;
- "geringe Aussicht": below 10 %.

A pair in another occupational field (fewer than 3 KldB digits shared with the person's closest
occupation) or with none of the vacancy's required skills never gets the top word: it is capped
at "mittlere Aussicht", and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.records.models import Candidate, Vacancy

GOOD_FROM = 0.20
MEDIUM_FROM = 0.10
RELATED_DEPTH = 3  # KldB digits shared from which an occupation counts as the same field

MEANING_DE = (
    "Die Aussicht ist die geschätzte Wahrscheinlichkeit, dass ein Vorschlag zu einem "
    "Vorstellungsgespräch oder einer Einstellung führt (im Durchschnitt aller Vorschläge etwa 10 %): "
    "„gute Aussicht“ ab 20 %, „mittlere Aussicht“ ab 10 %, „geringe Aussicht“ darunter. "
    "Sie gilt für sich, nicht im Vergleich zu den anderen Stellen dieser Liste. "
    "Ein anderes Berufsfeld oder keine der geforderten Kenntnisse ergibt nie „gute Aussicht“."
)
NO_CALIBRATION_DE = "ohne Einschätzung"


@dataclass(frozen=True)
class Strength:
    """Words for one pair's chance.

    Attributes:
        key: ``gut``, ``mittel``, ``gering`` or ``keine`` (no calibrated probability): CSS class.
        label: "gute Aussicht", ...
        percent: "etwa 12 %" (None without a probability).
        capped: the probability alone would have given "gute Aussicht".
        cap_reason: why it was capped (German), or None.
    """

    key: str
    label: str
    percent: str | None
    capped: bool = False
    cap_reason: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "percent": self.percent,
            "capped": self.capped,
            "cap_reason": self.cap_reason,
        }


_LABELS = {"gut": "gute Aussicht", "mittel": "mittlere Aussicht", "gering": "geringe Aussicht"}


def percent_de(probability: float) -> str:
    """ "etwa 12 %", "unter 1 %"."""
    share = probability * 100
    return "unter 1 %" if share < 0.5 else f"etwa {share:.0f} %"


def cap_reason(occupation_depth: int | None, required_skills: int, matched_skills: int) -> str | None:
    """Why a pair may not get the top word (None: it may)."""
    if occupation_depth is not None and occupation_depth < RELATED_DEPTH:
        return "anderes Berufsfeld"
    if required_skills > 0 and matched_skills == 0:
        return "keine der geforderten Kenntnisse"
    return None


def strength(
    probability: float | None, occupation_depth: int | None = None, required_skills: int = 0, matched_skills: int = 0
) -> Strength:
    """The words for a calibrated probability, capped below the top word where the pair is in
    another occupational field or has none of the required skills (``occupation_depth`` None:
    not known, not capped for it)."""
    if probability is None:
        return Strength("keine", NO_CALIBRATION_DE, None)
    key = "gut" if probability >= GOOD_FROM else "mittel" if probability >= MEDIUM_FROM else "gering"
    reason = cap_reason(occupation_depth, required_skills, matched_skills)
    capped = key == "gut" and reason is not None
    if capped:
        key = "mittel"
    return Strength(key, _LABELS[key], percent_de(probability), capped, reason if capped else None)


def shared_digits(a: str, b: str) -> int:
    """KldB digits two codes share from the left: 5, 4, 3, 2, else 0 (as the feature counts them)."""
    for digits in (5, 4, 3, 2):
        if len(a) >= digits and a[:digits] == b[:digits]:
            return digits
    return 0


def pair_strength(probability: float | None, candidate: Candidate, vacancy: Vacancy) -> Strength:
    """The words for one pair: its probability, capped by the pair's occupation and skills."""
    depth = max(shared_digits(code, vacancy.kldb) for code in candidate.occupations)
    have = set(candidate.skills)
    matched = sum(1 for s in vacancy.required_skills if s in have)
    return strength(probability, depth, len(vacancy.required_skills), matched)
