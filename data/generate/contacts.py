"""Contact person, phone, e-mail and how to apply for a generated vacancy.

Drawn from a random generator of their own, seeded by the vacancy id: they consume nothing of
the world's main random stream, so every other value of a world (ids, texts, proposals) is the
same as without them, and the same id always gets the same contact.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

FIRST_NAMES = (
    "Anna", "Birgit", "Claudia", "Daniela", "Elke", "Fatma", "Gabriele", "Heike", "Ines", "Julia",
    "Katrin", "Laura", "Monika", "Nadine", "Petra", "Sabine", "Tanja", "Ursula", "Andreas", "Bernd",
    "Christian", "Dirk", "Emre", "Frank", "Georg", "Holger", "Jan", "Klaus", "Lukas", "Markus",
    "Michael", "Nils", "Oliver", "Peter", "Ralf", "Stefan", "Thomas", "Uwe", "Volker", "Wolfgang",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
    "Zimmermann", "Braun", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Yılmaz",
    "Kaya", "Nowak", "Lehmann", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser",
)  # fmt: skip
# Area codes of the region (Kaiserslautern, Landstuhl, Otterberg, Ramstein-Miesenbach, Enkenbach).
AREA_CODES = ("0631", "06371", "06301", "06371", "06303")


def contact_rng(vacancy_id: str) -> np.random.Generator:
    """A generator of its own for one vacancy, from a stable hash of the id (not Python's hash())."""
    digest = hashlib.sha256(vacancy_id.encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _mail_part(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ı", "i"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def contact_fields(vacancy_id: str, employer_name: str) -> dict[str, str]:
    """``contact_name``, ``contact_phone``, ``contact_email`` and ``apply_how`` of one vacancy."""
    rng = contact_rng(vacancy_id)
    first, last = str(rng.choice(FIRST_NAMES)), str(rng.choice(LAST_NAMES))
    salutation = "Frau" if FIRST_NAMES.index(first) < 18 else "Herr"
    domain = "-".join(_mail_part(employer_name).split("-")[:3]) or "arbeitgeber"
    email = f"{_mail_part(first)}.{_mail_part(last)}@{domain}.example"
    phone = f"{rng.choice(AREA_CODES)} {int(rng.integers(100000, 999999))}"
    number = vacancy_id
    ways = (
        f"Bewerbung mit Lebenslauf und Zeugnissen per E-Mail an {email}, Stellennummer {number} angeben.",
        f"Bitte zuerst telefonisch bei {salutation} {last} melden ({phone}); danach schriftliche Bewerbung.",
        f"Schriftliche Bewerbung per Post oder E-Mail an {salutation} {last}; Stellennummer {number} angeben.",
    )
    return {
        "contact_name": f"{salutation} {first} {last}",
        "contact_phone": phone,
        "contact_email": email,
        "apply_how": ways[int(rng.integers(0, len(ways)))],
    }
