"""Text for embedding, rendered from a record's structured fields.

Candidates and vacancies go through the same helper, with the same field order and labels, so
that the encoder sees the two sides of a match in one shape: occupation titles (KldB), a job
title, skill labels, key facts, then a bounded start of the free text. Structured fields come
first because the free text is noisy and of uneven length; capping it keeps every text in the
encoder's window (~60-120 words) and stops a long description from drowning the titles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from matcher.records.models import LEVEL_LABELS_DE, PERMITS, Candidate, Vacancy, WorkingTime
from matcher.records.reference import ReferenceData

WORKING_TIME_DE: dict[WorkingTime, str] = {
    WorkingTime.FULL_TIME: "Vollzeit",
    WorkingTime.PART_TIME: "Teilzeit",
    WorkingTime.EITHER: "Vollzeit oder Teilzeit",
}


@dataclass(frozen=True)
class RenderConfig:
    """Bounds of a rendered text; ``drop_proxies``: leave out the sentences of a job seeker's profile
    text that name family, health, age or origin (:data:`PROXY_PHRASES`). Off only to measure what
    they carry. Vacancy descriptions are the employers' own and stay as they are."""

    max_free_text_chars: int = 300
    max_skills: int = 10
    max_occupations: int = 3
    drop_proxies: bool = True


# Words that make a sentence of free text a proxy of a protected attribute: family (childcare is a
# proxy of gender), health (of disability), age, origin. Hours, availability and German level are
# structured fields, so nothing a match needs is lost with such a sentence. Whole words only:
# occupation names such as "Kinderpfleger/in" or "Gesundheits- und Krankenpfleger/in" stay.
PROXY_PHRASES = re.compile(
    r"\b("
    r"Kind|Kinder|Kindern|Kinderbetreuung|Kita-?Platz|Betreuungspflicht\w*|alleinerziehend\w*|Elternzeit|"
    r"Mutterschutz|schwanger\w*|Schwangerschaft|Familie|familiär\w*|familienbedingt\w*|Angehörige\w*|"
    r"pflegebedürftig\w*|"
    r"Krankheit|krank|erkrankt|Erkrankung|gesundheitlich\w*|Gesundheitszustand|Behinderung|behindert\w*|"
    r"schwerbehindert\w*|GdB|Reha|Rehabilitation|chronisch\w*|Rückenprobleme\w*|psychisch\w*|Therapie|"
    r"Alter|Lebensalter|Jahre alt|Rente|Rentner\w*|Ruhestand|Jahrgang|"
    r"Herkunft|Migrationshintergrund|Migration|geflüchtet\w*|Geflüchtete\w*|Flucht|Asyl\w*|"
    r"Aufenthaltstitel|Aufenthaltserlaubnis|Aufenthaltsstatus|"
    r"Staatsangehörigkeit|Nationalität|Muttersprache|Religion|Kopftuch"
    r")\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def drop_proxy_phrases(text: str) -> str:
    """The text without its sentences that name family, health, age or origin."""
    return " ".join(s for s in _SENTENCE.split(text) if s and not PROXY_PHRASES.search(s))


def occupation_title(code: str, reference: ReferenceData) -> str:
    """KldB title without the level suffix ("... – fachlich ausgerichtete Tätigkeiten").

    The level is rendered once as a key fact; repeating it in every title would make all
    Fachkraft texts look alike to the encoder.
    """
    return reference.kldb_title(code).split(" – ")[0].strip()


def place_name(ags: str, reference: ReferenceData) -> str:
    return reference.municipality_names.get(ags, ags)


def _truncate(text: str, limit: int) -> str:
    """The first ``limit`` characters, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit] if text[limit] == " " else text[:limit].rsplit(" ", 1)[0]  # keep a word that fits
    return cut + " …"


def _working_time(kind: WorkingTime, hours: float | None) -> str:
    label = WORKING_TIME_DE[kind]
    return f"{label} {hours:g} Std./Woche" if hours else label


def render_profile(
    occupations: Sequence[str],
    job_title: str | None,
    skills: Sequence[str],
    facts: Sequence[str],
    free_text: str,
    config: RenderConfig = RenderConfig(),
) -> str:
    """The shared shape of every embedded text; empty parts are left out.

    Args:
        occupations: occupation titles, main first.
        job_title: the vacancy's own title (None for candidates).
        skills: skill labels.
        facts: short key facts ("Niveau: Fachkraft", "Ort: Kaiserslautern", ...).
        free_text: profile text or description; only its start is used.
        config: bounds.
    """
    parts: list[str] = []
    titles = [t for t in occupations[: config.max_occupations] if t]
    if titles:
        parts.append("Beruf: " + "; ".join(titles) + ".")
    if job_title:
        parts.append(f"Stelle: {job_title}.")
    if skills:
        parts.append("Kenntnisse: " + ", ".join(skills[: config.max_skills]) + ".")
    if facts:
        parts.append(". ".join(facts) + ".")
    text = _truncate(free_text, config.max_free_text_chars)
    if text:
        parts.append(text)
    return " ".join(parts)


def _licence_facts(licences: Sequence[str], permits: Sequence[str]) -> list[str]:
    facts = []
    if licences:
        facts.append("Führerschein " + ", ".join(licences))
    if permits:
        facts.append(", ".join(PERMITS.get(p, p) for p in permits))
    return facts


def render_candidate(candidate: Candidate, reference: ReferenceData, config: RenderConfig = RenderConfig()) -> str:
    """Text of a job seeker: target occupations, skills, level, working time, place, licences."""
    facts = [
        f"Niveau: {LEVEL_LABELS_DE[candidate.level]}",
        _working_time(candidate.working_time, candidate.hours_per_week),
        f"Ort: {place_name(candidate.ags, reference)}",
        *_licence_facts(candidate.licences, candidate.permits),
    ]
    return render_profile(
        [occupation_title(code, reference) for code in candidate.occupations],
        None,
        [reference.skill_label(s) for s in candidate.skills],
        facts,
        drop_proxy_phrases(candidate.profile_text) if config.drop_proxies else candidate.profile_text,
        config,
    )


def render_vacancy(vacancy: Vacancy, reference: ReferenceData, config: RenderConfig = RenderConfig()) -> str:
    """Text of a vacancy: occupation, title, required then optional skills, key facts."""
    facts = [
        f"Niveau: {LEVEL_LABELS_DE[vacancy.level]}",
        _working_time(vacancy.working_time, vacancy.hours_per_week),
        f"Ort: {place_name(vacancy.ags, reference)}",
        *_licence_facts(vacancy.required_licences, vacancy.required_permits),
    ]
    skills = [reference.skill_label(s) for s in [*vacancy.required_skills, *vacancy.optional_skills]]
    return render_profile(
        [occupation_title(vacancy.kldb, reference)],
        vacancy.title,
        skills,
        facts,
        vacancy.description,
        config,
    )
