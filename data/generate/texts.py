"""German texts of the demo world: titles, employer names, vacancy descriptions, profiles.

Everything is assembled from parts and sentence templates with the world's random generator, so
texts vary like real postings but stay reproducible. Profiles are written in caseworker style and
never mention a name, age, gender, origin or health: protected attributes live elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_PARENTHETICAL = re.compile(r"\s*\((o\. Angabe|nicht )[^)]*\)")
_ADJ_ENDING = re.compile(r"(\w)/r\b")
_SUFFIX_FORM = re.compile(r"/-\w+")
_IN_FORM = re.compile(r"/in\b|/-in\b")
_PAIR_FORM = re.compile(r"(\w+)/[A-ZÄÖÜ]\w+")


def gendered_title(ba_title: str) -> str:
    """The BA job title in the gendered posting form: 'Fachlagerist/in' -> 'Fachlagerist (m/w/d)'.

    Args:
        ba_title: a title of the BA's list (Berufsbenennung) with its '/in', '/-frau' forms.

    Returns:
        The masculine base form followed by '(m/w/d)', as postings of the BA's job board read.
    """
    text = _PARENTHETICAL.sub("", ba_title)
    text = _ADJ_ENDING.sub(r"\1r", text)
    text = _SUFFIX_FORM.sub("", text)
    text = _IN_FORM.sub("", text)
    text = _PAIR_FORM.sub(r"\1", text)
    text = text.replace(" - ", " ")
    return f"{' '.join(text.split())} (m/w/d)"


def pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def sample(rng: np.random.Generator, options: Sequence[str], k: int) -> list[str]:
    k = min(k, len(options))
    return [options[i] for i in sorted(rng.choice(len(options), size=k, replace=False))]


def sentence(text: str) -> str:
    """Capitalise the first letter, as task phrases of the KldB start in lower case."""
    return text[:1].upper() + text[1:] if text else text


# --- employers -------------------------------------------------------------------------------
REGIONS = (
    "Westpfalz",
    "Pfalz",
    "Lautertal",
    "Barbarossa",
    "Pfälzerwald",
    "Westrich",
    "Reichswald",
    "Sickinger",
    "Lauterer",
    "Betzenberg",
    "Donnersberg",
    "Kaiserberg",
)
SURNAMES = (
    "Becker",
    "Schneider",
    "Müller",
    "Weber",
    "Schäfer",
    "Fischer",
    "Wagner",
    "Hoffmann",
    "Klein",
    "Schmitt",
    "Zimmer",
    "Hauck",
    "Theis",
    "Bauer",
    "Kiefer",
    "Christmann",
    "Leyser",
    "Hahn",
    "Jung",
    "Lang",
    "Mohr",
    "Gilcher",
    "Wolf",
    "Dietz",
    "Eckel",
    "Stumpf",
    "Ritter",
    "Brenk",
    "Kuhn",
    "Sauer",
    "Schwarz",
    "Kessler",
)
FORMS = ("GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "KG", "e.K.", "AG")
SECTOR_NOUNS: dict[str, tuple[str, ...]] = {
    "logistik": (
        "Logistik",
        "Spedition",
        "Transport & Logistik",
        "Lagerlogistik",
        "Distribution",
        "Paketservice",
        "Kontraktlogistik",
    ),
    "reinigung": (
        "Gebäudereinigung",
        "Gebäudeservice",
        "Facility Services",
        "Reinigungsdienst",
        "Glas- und Gebäudereinigung",
    ),
    "handel": ("Frischemarkt", "Handelshaus", "Bäckerei", "Baumarkt", "Getränkemarkt", "Einkaufsmarkt", "Warenhaus"),
    "gastro": ("Gastronomie", "Hotel & Restaurant", "Catering", "Landgasthof", "Brauhaus", "Betriebsgastronomie"),
    "pflege": (
        "Pflegedienst",
        "Seniorenzentrum",
        "Seniorenresidenz",
        "Sozialstation",
        "Tagespflege",
        "Klinik",
        "Arztpraxis",
    ),
    "soziales": ("Kita", "Betreuungsdienst", "Familienservice", "Jugendhilfe", "Alltagshilfe", "Lebenshilfe-Werkstatt"),
    "produktion": (
        "Metallbau",
        "Kunststofftechnik",
        "Maschinenbau",
        "Präzisionsteile",
        "Stanztechnik",
        "Fertigungstechnik",
        "Nahrungsmittel",
        "Antriebstechnik",
    ),
    "handwerk": ("Autohaus", "Kfz-Service", "Hausmeisterservice", "Entsorgung", "Haustechnik", "Karosseriebau"),
    "verkehr": (
        "Transporte",
        "Kurierdienst",
        "Omnibusbetrieb",
        "Getränkelogistik",
        "Fuhrunternehmen",
        "Express-Service",
    ),
    "buero": (
        "Verwaltungsgesellschaft",
        "Steuerberatung",
        "Kundenservice",
        "Immobilien",
        "Versicherungsbüro",
        "Handelsagentur",
        "Dienstleistungszentrum",
    ),
    "sicherheit": ("Sicherheitsdienst", "Wach- und Schließgesellschaft", "Objektschutz", "Security Services"),
    "bau": (
        "Bauunternehmen",
        "Hochbau",
        "Bedachungen",
        "Malerbetrieb",
        "Elektrotechnik",
        "Sanitär & Heizung",
        "Trockenbau",
    ),
    "garten": ("Garten- und Landschaftsbau", "Grünpflege", "Gärtnerei", "Baumpflege"),
    "it": ("IT-Systemhaus", "Software", "Digital Solutions", "Datentechnik"),
    "personal": (
        "Personalservice",
        "Zeitarbeit",
        "Personaldienste",
        "Work & Service",
        "Personal-Partner",
        "Jobservice",
    ),
}
SECTOR_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "logistik": ("Logistikdienstleister", "Speditions- und Logistikunternehmen"),
    "reinigung": ("Gebäudedienstleister", "Reinigungsunternehmen"),
    "handel": ("Handelsunternehmen", "Einzelhändler"),
    "gastro": ("Gastronomiebetrieb", "Hotel- und Gastronomiebetrieb"),
    "pflege": ("Pflegeeinrichtung", "Gesundheitsdienstleister"),
    "soziales": ("sozialer Träger", "Dienstleister für Betreuung und Familie"),
    "produktion": ("Industrieunternehmen", "Fertigungsbetrieb", "Zulieferer"),
    "handwerk": ("Handwerks- und Servicebetrieb", "Meisterbetrieb"),
    "verkehr": ("Transportunternehmen", "Verkehrsbetrieb"),
    "buero": ("Dienstleistungsunternehmen", "Verwaltungsdienstleister"),
    "sicherheit": ("Sicherheitsunternehmen", "Dienstleister für Objekt- und Werkschutz"),
    "bau": ("Bauunternehmen", "Handwerksbetrieb"),
    "garten": ("Garten- und Landschaftsbaubetrieb", "Grünflächendienstleister"),
    "it": ("IT-Dienstleister", "Softwarehaus"),
    "personal": ("Personaldienstleister", "Zeitarbeitsunternehmen"),
}
_CARE_PATTERNS = ("{noun} {region}", "{noun} {place}", "{noun} {surname}")


def employer_name(rng: np.random.Generator, sector: str, place: str) -> str:
    """An invented, plausible employer name, e.g. 'Westpfalz Logistik GmbH', 'Pflegedienst Lautertal'."""
    noun = pick(rng, SECTOR_NOUNS[sector])
    parts = {
        "noun": noun,
        "region": pick(rng, REGIONS),
        "surname": pick(rng, SURNAMES),
        "place": place,
        "form": pick(rng, FORMS),
    }
    if sector in ("pflege", "soziales"):
        return pick(rng, _CARE_PATTERNS).format(**parts)
    patterns = (
        "{region} {noun} {form}",
        "{surname} {noun} {form}",
        "{noun} {surname} {form}",
        "{noun} {place} {form}",
        "{surname} & {surname2} {noun} {form}",
    )
    parts["surname2"] = pick(rng, SURNAMES)
    if parts["surname2"] == parts["surname"]:
        parts["surname2"] = "Söhne"
    return pick(rng, patterns).format(**parts)
