"""Short job-seeker profiles in caseworker style (German, no names, nothing protected)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from data.generate.catalog import Catalog
from data.generate.texts import pick, sample

GERMAN_WORDS = {
    "A1": "Grundkenntnisse (A1)",
    "A2": "einfache Kenntnisse (A2)",
    "B1": "B1",
    "B2": "B2",
    "C1": "sehr gute Kenntnisse (C1)",
    "C2": "verhandlungssicher (C2)",
}
PERMIT_WORDS = {
    "forklift": "Staplerschein",
    "adr": "ADR-Schein",
    "ifsg43": "Belehrung nach § 43 IfSG",
    "gewo34a": "Sachkunde § 34a GewO",
    "crane": "Kranschein",
    "welding": "Schweißerprüfung",
}
_OPENERS = (
    "Sucht eine Tätigkeit als {occ}.",
    "Zielberuf: {occ}.",
    "Möchte als {occ} arbeiten.",
    "Orientiert sich auf eine Stelle als {occ}.",
    "Strebt eine Beschäftigung als {occ} an.",
)
_ALTERNATIVES = ("Offen auch für {alts}.", "Alternativ kommen {alts} in Frage.", "Würde auch als {alts} arbeiten.")
_CLOSERS = (
    "Zuverlässig und motiviert, Termine werden eingehalten.",
    "Hat an einem Bewerbungstraining teilgenommen.",
    "Praktikum im Zielberuf wäre denkbar.",
    "Bewerbungsunterlagen liegen aktuell vor.",
    "Benötigt Unterstützung bei den Bewerbungsunterlagen.",
    "Eigenbemühungen werden regelmäßig nachgewiesen.",
    "Interesse an einer Weiterbildung im Zielberuf.",
    "Arbeitsgelegenheit wurde erfolgreich abgeschlossen.",
    "",
)
_LATER = (
    "laufende Qualifizierungsmaßnahme",
    "Sprachkurs läuft noch",
    "Betreuungsplatz ab dann zugesagt",
    "Maßnahme endet vorher",
)


def occupation_label(catalog: Catalog, code: str) -> str:
    """The first BA title of the code, in its gender-inclusive 'Lagerhelfer/in' form."""
    return catalog.occupations[catalog.index[code]].titles[0]


def _experience(rng: np.random.Generator, months: int, occ: str) -> str:
    if months == 0:
        return pick(rng, ("Bisher ohne einschlägige Berufserfahrung.", "Keine Berufserfahrung im Zielberuf."))
    years = months / 12
    if years < 1:
        return f"Erste Erfahrung im Zielberuf ({months} Monate)."
    return pick(
        rng,
        (
            f"Rund {years:.0f} Jahre Erfahrung als {occ}.",
            f"Berufserfahrung im Zielberuf: ca. {years:.0f} Jahre.",
            f"Hat etwa {years:.0f} Jahre im Bereich gearbeitet.",
        ),
    )


def _qualification(row: Any) -> str:
    return {
        "none": "Ohne abgeschlossene Berufsausbildung.",
        "apprenticeship": "Abgeschlossene Berufsausbildung.",
        "master_technician": "Meister- bzw. Technikerabschluss.",
        "bachelor": "Abgeschlossenes Studium (Bachelor).",
        "master": "Abgeschlossenes Studium (Master).",
    }[row.vocational]


def _mobility(rng: np.random.Generator, row: Any) -> str:
    if row.has_car:
        return pick(
            rng,
            (
                f"Führerschein {', '.join(row.licences)} und eigener PKW vorhanden.",
                f"Mobil mit eigenem PKW (Klasse {', '.join(row.licences)}).",
            ),
        )
    licence = f"Führerschein {', '.join(row.licences)}, aber kein PKW" if row.licences else "Kein Führerschein"
    return f"{licence}; auf Bus und Bahn angewiesen, max. {row.max_minutes} Minuten Fahrtzeit."


def _working_time(rng: np.random.Generator, row: Any) -> str:
    hours = f"{row.hours:.0f} Std./Woche"
    if row.childcare:
        text = pick(
            rng,
            (
                f"Wegen Kinderbetreuung nur Teilzeit möglich ({hours}).",
                f"Kinderbetreuung: Teilzeit bis {hours}, vorzugsweise vormittags.",
            ),
        )
    elif row.working_time == "part_time":
        text = f"Sucht Teilzeit ({hours})."
    elif row.working_time == "either":
        text = "Vollzeit oder Teilzeit möglich."
    else:
        text = "Vollzeit gewünscht."
    shifts = "Schichtarbeit möglich" if row.shifts else "keine Schichtarbeit"
    weekends = "Wochenendarbeit möglich" if row.weekends else "Wochenenden nur nach Absprache"
    return f"{text} {shifts[:1].upper()}{shifts[1:]}, {weekends}."


def _availability(rng: np.random.Generator, row: Any, today: date) -> str:
    if row.available_from > today:
        return f"Verfügbar ab {row.available_from:%d.%m.%Y} ({pick(rng, _LATER)})."
    return pick(rng, ("Sofort verfügbar.", "Kurzfristig verfügbar.", ""))


def profile_text(rng: np.random.Generator, catalog: Catalog, row: Any, today: date) -> str:
    """A caseworker's short profile of one job seeker, from the structured fields only."""
    occ = occupation_label(catalog, row.occupations[0])
    parts = [pick(rng, _OPENERS).format(occ=occ)]
    if len(row.occupations) > 1:
        alts = " oder ".join(occupation_label(catalog, c) for c in row.occupations[1:])
        parts.append(pick(rng, _ALTERNATIVES).format(alts=alts))
    parts += [_experience(rng, row.experience_months, occ), _qualification(row)]
    labels = [catalog.skill_labels[s] for s in row.skills if _cp1252(catalog.skill_labels[s])]
    if labels:
        parts.append(f"Kenntnisse u. a.: {', '.join(sample(rng, labels, 3))}.")
    if row.permits:
        parts.append(f"{', '.join(PERMIT_WORDS[p] for p in row.permits)} vorhanden.")
    if row.german != "native":
        parts.append(f"Deutschkenntnisse: {GERMAN_WORDS[row.german]}.")
    parts += [_mobility(rng, row), _working_time(rng, row)]
    parts += [_availability(rng, row, today), pick(rng, _CLOSERS)]
    return " ".join(p for p in parts if p)


def _cp1252(text: str) -> bool:
    """Labels that the Stadt's Windows-1252 export can carry unchanged."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
