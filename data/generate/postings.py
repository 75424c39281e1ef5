"""German vacancy descriptions, from KldB task lists, ESCO descriptions and sentence templates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from data.generate.catalog import Occupation
from data.generate.profiles import PERMIT_WORDS
from data.generate.texts import SECTOR_DESCRIPTIONS, pick, sample, sentence

_WORKING_TIME = {"vollzeit": "Vollzeit", "teilzeit": "Teilzeit", "vollzeit_teilzeit": "Voll- oder Teilzeit"}
_INTROS = (
    "Die {employer} ist ein {kind} mit Sitz in {place}.",
    "Wir, die {employer}, sind seit über {years} Jahren als {kind} in der Region Kaiserslautern tätig.",
    "Die {employer} ist ein etablierter {kind} in {place} mit rund {staff} Beschäftigten.",
    "Als {kind} in {place} steht die {employer} für Verlässlichkeit und ein gutes Betriebsklima.",
)
_AGENCY_INTROS = (
    "Die {employer} ist ein regionaler {kind}. Für einen Kundenbetrieb in {place} suchen wir Sie.",
    "Als {kind} in der Westpfalz vermittelt die {employer} Fach- und Hilfskräfte an Unternehmen der "
    "Region, aktuell für einen Kunden in {place}.",
)
_SEARCH = (
    "Zur Verstärkung unseres Teams suchen wir {start} in {time}: {title}.",
    "Wir suchen {start} in {time}: {title}.",
    "Für unseren Standort {place} suchen wir {start} Verstärkung als {title} ({time}).",
    "{start_cap} ist bei uns eine Stelle als {title} in {time} zu besetzen.",
)
_TASK_HEADS = ("Ihre Aufgaben:", "Das erwartet Sie:", "Ihr Aufgabengebiet:", "Ihre Tätigkeiten:")
_PROFILE_HEADS = ("Ihr Profil:", "Das bringen Sie mit:", "Was Sie mitbringen:")
_OFFER_HEADS = ("Wir bieten:", "Unser Angebot:", "Darauf können Sie sich freuen:")
_BENEFITS = (
    "Einarbeitung durch ein erfahrenes Team",
    "Bezahlung nach Tarif",
    "30 Tage Urlaub",
    "Zuschuss zum Deutschlandticket",
    "Betriebliche Altersvorsorge",
    "Kostenlose Parkplätze",
    "Gute Anbindung an Bus und Bahn",
    "Weiterbildungsmöglichkeiten",
    "Arbeitskleidung wird gestellt",
    "Dienstradleasing",
    "Urlaubs- und Weihnachtsgeld",
    "Ein familiäres Betriebsklima",
    "Mitarbeiterrabatte",
    "Planbare Arbeitszeiten",
    "Vergünstigtes Mittagessen",
)
_AGENCY_BENEFITS = (
    "Übernahmechance beim Kundenbetrieb",
    "Wöchentliche Abschlagszahlungen möglich",
    "Zuschläge nach Branchentarif",
    "Persönliche Betreuung durch Ihre Disposition",
)
_CLOSINGS = (
    "Haben wir Ihr Interesse geweckt? Dann freuen wir uns auf Ihre Bewerbung.",
    "Bewerben Sie sich gerne auch ohne vollständige Unterlagen, ein kurzer Lebenslauf genügt.",
    "Wir freuen uns auf Ihre Bewerbung, gerne auch telefonisch oder per E-Mail.",
    "Quereinsteiger sind willkommen. Wir freuen uns auf Sie!",
)
_LEVEL_REQUIREMENTS = {
    1: (
        "Erste Erfahrung wünschenswert, aber keine Voraussetzung",
        "Zuverlässigkeit und Teamgeist",
        "Körperliche Belastbarkeit",
        "Bereitschaft zur Einarbeitung",
    ),
    2: (
        "Abgeschlossene Berufsausbildung als {occ} oder vergleichbare Qualifikation",
        "Berufserfahrung als {occ} von Vorteil",
        "Selbstständige und sorgfältige Arbeitsweise",
    ),
    3: ("Weiterbildung zum Meister/Techniker oder Studium", "Mehrjährige Berufserfahrung", "Organisationstalent"),
    4: (
        "Abgeschlossenes Hochschulstudium",
        "Mehrjährige Berufserfahrung in vergleichbarer Position",
        "Analytisches Denken und Verantwortungsbewusstsein",
    ),
}


@dataclass(frozen=True)
class PostingFacts:
    """What the description states; the structured fields of the vacancy say the same."""

    employer: str
    sector: str
    agency: bool
    place: str
    title: str
    working_time: str
    hours: float
    shifts: bool
    weekends: bool
    licences: tuple[str, ...]
    permits: tuple[str, ...]
    german_min: str | None
    start: date | None
    posted: date
    pay: str
    contract: str


def _first_sentences(text: str, limit: int = 2) -> str:
    parts = re.split(r"(?<=[.!?])\s+", text)
    return " ".join(parts[:limit])


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines if line)


def _intro(rng: np.random.Generator, facts: PostingFacts) -> str:
    kind = pick(rng, SECTOR_DESCRIPTIONS["personal" if facts.agency else facts.sector])
    template = pick(rng, _AGENCY_INTROS if facts.agency else _INTROS)
    return template.format(
        employer=facts.employer,
        kind=kind,
        place=facts.place,
        years=int(rng.integers(5, 60)),
        staff=int(rng.integers(2, 40)) * 10,
    )


def _search(rng: np.random.Generator, facts: PostingFacts) -> str:
    later = facts.start is not None and facts.start > facts.posted
    start = f"zum {facts.start:%d.%m.%Y}" if later else "ab sofort"
    text = pick(rng, _SEARCH).format(
        start=start,
        start_cap=sentence(start),
        title=facts.title,
        time=_WORKING_TIME[facts.working_time],
        place=facts.place,
    )
    return text


def _profile_lines(
    rng: np.random.Generator, facts: PostingFacts, occupation: Occupation, labels: list[str]
) -> list[str]:
    occ = facts.title.replace(" (m/w/d)", "")
    lines = [t.format(occ=occ) for t in sample(rng, _LEVEL_REQUIREMENTS[occupation.level], 2)]
    lines += [f"Kenntnisse: {label}" for label in labels]
    lines += [f"Führerschein Klasse {lic}" for lic in facts.licences]
    lines += [PERMIT_WORDS[p] for p in facts.permits]
    if facts.german_min:
        level = "Deutsch als Muttersprache" if facts.german_min == "native" else facts.german_min
        lines.append(f"Deutschkenntnisse mindestens {level}" if level != "Deutsch als Muttersprache" else level)
    if facts.shifts:
        lines.append(pick(rng, ("Bereitschaft zur Schichtarbeit", "Bereitschaft zu Früh- und Spätschicht")))
    if facts.weekends:
        lines.append("Bereitschaft zur Arbeit an Wochenenden und Feiertagen")
    return lines


def _offer_lines(rng: np.random.Generator, facts: PostingFacts) -> list[str]:
    lines = [facts.pay] if facts.pay else []
    if facts.contract == "unbefristet":
        lines.append("Einen unbefristeten Arbeitsvertrag")
    hours = f"{facts.hours:.0f}" if facts.hours == int(facts.hours) else f"{facts.hours:.1f}".replace(".", ",")
    lines.append(f"{_WORKING_TIME[facts.working_time]} mit {hours} Wochenstunden")
    lines += sample(rng, _BENEFITS, int(rng.integers(2, 5)))
    if facts.agency:
        lines += sample(rng, _AGENCY_BENEFITS, 2)
    return lines


def describe(rng: np.random.Generator, facts: PostingFacts, occupation: Occupation, required_labels: list[str]) -> str:
    """A full German posting text for one vacancy."""
    tasks = [sentence(t) for t in sample(rng, occupation.tasks, int(rng.integers(3, 6)))]
    blocks = [_intro(rng, facts), _search(rng, facts)]
    if occupation.descriptions and rng.random() < 0.7:
        blocks.append(_first_sentences(pick(rng, occupation.descriptions)))
    blocks.append(f"{pick(rng, _TASK_HEADS)}\n{_bullets(tasks)}")
    profile = _profile_lines(rng, facts, occupation, required_labels)
    blocks.append(f"{pick(rng, _PROFILE_HEADS)}\n{_bullets(profile)}")
    blocks.append(f"{pick(rng, _OFFER_HEADS)}\n{_bullets(_offer_lines(rng, facts))}")
    blocks.append(pick(rng, _CLOSINGS))
    return "\n\n".join(blocks)
