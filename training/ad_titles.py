"""Job titles as job ads write them: a clean title with the words ads put around it.

Real-world titles ("Staplerfahrer (m/w/d) in Vollzeit - ab sofort", "Senior Buchhalter | Teilzeit")
carry working time, start, place and pitch beside the occupation. The reference data has clean
titles only, so ``decorate`` adds such words: in training (``EncoderBuildConfig.ad_noise``) so that
the encoder learns to give them little weight, and in evaluation (``ba_group_esco_ads``) to see
whether it did. The two use disjoint phrase lists (``TRAIN`` and ``EVAL``), so an evaluation query
never carries a phrase that training attached; single words may recur ("Teilzeit" in both, as in
real ads).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Phrases:
    """Words an ad puts before or after a title, by kind."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    separators: tuple[str, ...]


TRAIN = Phrases(
    before=("Senior", "Junior", "Erfahrener", "Motivierter", "Engagierte", "Stellvertretender"),
    after=(
        "(m/w/d)",
        "in Vollzeit",
        "Vollzeit",
        "in Teilzeit",
        "Voll- oder Teilzeit",
        "auf Minijob-Basis",
        "ab sofort",
        "zum nächstmöglichen Zeitpunkt",
        "unbefristet",
        "im Schichtdienst",
        "Nachtschicht",
        "in Kaiserslautern",
        "Raum Kaiserslautern",
        "Landstuhl",
        "Homeoffice möglich",
        "Quereinsteiger willkommen",
        "gesucht",
        "Jetzt bewerben!",
        "mit Firmenwagen",
        "Top-Gehalt",
        "20 Std./Woche",
        "für unseren Standort",
    ),
    separators=(" ", " - ", " | ", ", ", " – "),
)

EVAL = Phrases(
    before=("Erfahrene", "Zuverlässiger", "Leitender", "Freundliche"),
    after=(
        "(w/m/d)",
        "Teilzeit 30 Std.",
        "Vollzeit/Teilzeit",
        "sofort",
        "befristet",
        "Spätschicht",
        "Wochenenddienst",
        "in Ramstein-Miesenbach",
        "Pirmasens",
        "Region Westpfalz",
        "remote",
        "Einstieg möglich",
        "attraktive Vergütung",
        "mit Perspektive",
        "sucht Verstärkung",
        "in Festanstellung",
    ),
    separators=(" ", " - ", " | ", " / "),
)


def decorate(title: str, rng: random.Random, phrases: Phrases = TRAIN) -> str:
    """The title with one to three ad phrases after it and, one time in four, a word before it."""
    words = rng.sample(phrases.after, rng.randint(1, 3))
    text = title + rng.choice(phrases.separators) + " ".join(words)
    if rng.random() < 0.25:
        text = f"{rng.choice(phrases.before)} {text}"
    return text


def is_title(text: str) -> bool:
    """Whether a training anchor looks like a job title (not a description, task or skill list)."""
    return len(text.split()) <= 6 and "," not in text and not text.rstrip().endswith(".")
