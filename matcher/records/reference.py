"""The one loader for the real reference data in ``data/reference/`` (see its SOURCES.md).

KldB 2010 (Fassung 2020) with titles, hierarchy and task descriptions; the BA's list of job titles;
ESCO occupations and skills with German labels and the essential/optional relations; the official
BA mapping between ESCO occupations and KldB; the 51 municipalities of Stadt and Landkreis
Kaiserslautern with coordinates and postcodes.

Every table is read on first use and cached on the instance. ESCO concepts are identified by the
last segment of their URI (a UUID), which is what the rest of the project calls an ESCO id.
"""

from __future__ import annotations

import html
import re
from functools import cached_property
from pathlib import Path

import pandas as pd

DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"

KLDB_LEVEL_NAMES = {
    1: "Berufsbereich",
    2: "Berufshauptgruppe",
    3: "Berufsgruppe",
    4: "Berufsuntergruppe",
    5: "Berufsgattung",
}


STADT_KL_AGS = "07312000"
STADT_KL_POSTCODE_FIX = ("67661", STADT_KL_AGS)


class ReferenceDataError(RuntimeError):
    """A reference file is missing or does not have the expected shape."""


def esco_id(uri: str) -> str:
    """The UUID at the end of an ESCO concept URI."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _clean_text(text: object) -> str:
    if not isinstance(text, str):
        return ""
    text = html.unescape(text).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


class ReferenceData:
    """Lazy, cached access to the reference tables as pandas DataFrames."""

    def __init__(self, directory: Path | str = DEFAULT_REFERENCE_DIR) -> None:
        self.directory = Path(directory)

    def _path(self, name: str) -> Path:
        path = self.directory / name
        if not path.is_file():
            raise ReferenceDataError(f"reference file missing: {path}")
        return path

    # --- KldB 2010 ---------------------------------------------------------------------------
    @cached_property
    def kldb(self) -> pd.DataFrame:
        """All KldB positions: code (zero-padded), level 1-5, title, short_title, tasks."""
        codes = pd.read_csv(self._path("kldb2010_v2020_codes.csv.gz"), dtype=str)
        codes["level"] = codes["level"].astype(int)
        detail = pd.read_csv(
            self._path("KldB2010_V2020_Gliederung_mit_Erlaeuterung.csv.gz"),
            sep=";",
            dtype=str,
            encoding="utf-8-sig",
        )
        # The official export lost leading zeros in the code column: pad to the level's width.
        detail["code"] = [c.zfill(int(lv)) for c, lv in zip(detail.iloc[:, 0], detail["Ebene"])]
        # Task phrases are separated by runs of spaces in the export: keep them as " | ".
        detail["tasks"] = detail["Einschlüsse"].map(
            lambda s: (
                " | ".join(filter(None, (_clean_text(t) for t in re.split(r"\s{2,}", s)))) if isinstance(s, str) else ""
            )
        )
        detail["remarks"] = detail["Allgemeine Bemerkungen"].map(_clean_text)
        frame = codes.rename(columns={"kldb_code": "code"}).merge(
            detail[["code", "tasks", "remarks"]], on="code", how="left"
        )
        frame[["tasks", "remarks"]] = frame[["tasks", "remarks"]].fillna("")
        return frame.set_index("code", drop=False)

    @cached_property
    def kldb5_codes(self) -> frozenset[str]:
        return frozenset(self.kldb.loc[self.kldb["level"] == 5, "code"])

    @cached_property
    def _kldb_titles(self) -> dict[str, str]:
        # Looked up for every shortlist line: a dict is ~50x faster than DataFrame.at.
        return dict(zip(self.kldb["code"], self.kldb["title"]))

    def kldb_title(self, code: str) -> str:
        return self._kldb_titles.get(code, code)

    @cached_property
    def municipality_names(self) -> dict[str, str]:
        return dict(zip(self.municipalities["ags"], self.municipalities["name"]))

    def kldb_tasks(self, code: str) -> list[str]:
        """Task phrases of a 5-digit position (falls back to its 4-digit parent)."""
        for candidate in (code, code[:4]):
            if candidate in self.kldb.index:
                tasks = str(self.kldb.at[candidate, "tasks"])
                if tasks:
                    return tasks.split(" | ")
        return []

    @cached_property
    def job_titles(self) -> pd.DataFrame:
        """The BA's alphabetical list of job titles (Berufsbenennungen): title, kldb."""
        frame = pd.read_csv(
            self._path("Alphabetisches_Verzeichnis_Berufsbenennungen_KldB2010.csv.gz"),
            sep=";",
            dtype=str,
        )
        frame.columns = ["title", "kldb"]
        frame = frame.dropna()
        # The file ends with a footer line (creation date, copyright), not a title.
        frame = frame[frame["kldb"].str.fullmatch(r"\d{4,5}")].copy()
        frame["kldb"] = frame["kldb"].str.zfill(5)
        return frame.reset_index(drop=True)

    # --- ESCO --------------------------------------------------------------------------------
    @cached_property
    def esco_occupations(self) -> pd.DataFrame:
        """ESCO v1.2 occupations: id, uri, isco, label, alt_labels (list), description."""
        raw = pd.read_csv(self._path("occupations_de.csv.gz"), dtype=str)
        frame = pd.DataFrame(
            {
                "id": raw["conceptUri"].map(esco_id),
                "uri": raw["conceptUri"],
                "isco": raw["iscoGroup"],
                "label": raw["preferredLabel"].map(_clean_text),
                "alt_labels": raw["altLabels"]
                .fillna("")
                .map(lambda s: [_clean_text(x) for x in s.split("\n") if x.strip()]),
                "description": raw["description"].map(_clean_text),
            }
        )
        return frame.set_index("id", drop=False)

    @cached_property
    def esco_labels_multilingual(self) -> pd.DataFrame:
        """ESCO occupation labels in other languages than German (v1.0.8; Arabic v1.0.3):
        esco_id, lang (ISO 639-1), preferred (bool), label."""
        path = self._path("esco_occupation_labels_multilingual.csv.gz")
        raw = pd.read_csv(path, dtype={"esco_id": str, "lang": str, "preferred": int, "label": str})
        raw["label"] = raw["label"].map(_clean_text)
        raw["preferred"] = raw["preferred"].astype(bool)
        return raw.loc[raw["label"] != ""].reset_index(drop=True)

    @cached_property
    def esco_skills(self) -> pd.DataFrame:
        """ESCO skills: id, skill_type, reuse_level, label (German, else English), label_de."""
        raw = pd.read_csv(self._path("skills_v1.1.1_labels_en_de.csv.gz"), dtype=str)
        label_de = raw["preferredLabel_de"].map(_clean_text)
        label_en = raw["preferredLabel_en"].map(_clean_text)
        frame = pd.DataFrame(
            {
                "id": raw["conceptUri"].map(esco_id),
                "skill_type": raw["skillType"].fillna(""),
                "reuse_level": raw["reuseLevel"].fillna(""),
                "label_de": label_de,
                "label": label_de.where(label_de != "", label_en),
            }
        )
        return frame.drop_duplicates("id").set_index("id", drop=False)

    @cached_property
    def skill_labels(self) -> dict[str, str]:
        return dict(zip(self.esco_skills["id"], self.esco_skills["label"]))

    def skill_label(self, skill_id: str) -> str:
        return self.skill_labels.get(skill_id, skill_id)

    @cached_property
    def skill_ids_by_label(self) -> dict[str, str]:
        """Folded label -> ESCO skill id (for labels typed into a form): the German preferred
        labels and their German synonyms, folded by :func:`matcher.records.text.fold` (case, NFC,
        "ae/oe/ue/ss"); a preferred label wins over another skill's synonym."""
        from matcher.records.text import fold

        skills = self.esco_skills
        index: dict[str, str] = {}
        alt = pd.read_csv(
            self._path("skills_v1.1.1_labels_en_de.csv.gz"), dtype=str, usecols=["conceptUri", "altLabels_de"]
        )
        for uri, labels in zip(alt["conceptUri"], alt["altLabels_de"].fillna("")):
            for label in str(labels).split("|"):
                if label.strip():
                    index.setdefault(fold(_clean_text(label)), esco_id(uri))
        for skill, label in zip(skills["id"], skills["label"]):
            index[fold(label)] = skill
        return index

    def skill_suggestions(self, text: str, limit: int = 8) -> list[tuple[str, str]]:
        """Up to ``limit`` (skill id, German label) whose label or synonym holds the words of
        ``text`` (folded, words of two letters or more): the most words first, then the shortest."""
        from matcher.records.text import folded_words

        words = [w for w in folded_words(text) if len(w) >= 2]
        best: dict[str, int] = {}
        for label, skill in self.skill_ids_by_label.items() if words else ():
            hits = sum(w in label for w in words)
            if hits and hits > best.get(skill, 0):
                best[skill] = hits
        ranked = sorted(best, key=lambda s: (-best[s], len(self.skill_label(s)), self.skill_label(s)))
        return [(s, self.skill_label(s)) for s in ranked[:limit]]

    @cached_property
    def occupation_skills(self) -> pd.DataFrame:
        """ESCO occupation -> skill relations: occupation_id, skill_id, relation."""
        raw = pd.read_csv(self._path("occupationSkillRelations_v1.1.1.csv.gz"), dtype=str)
        return pd.DataFrame(
            {
                "occupation_id": raw["occupationUri"].map(esco_id),
                "skill_id": raw["skillUri"].map(esco_id),
                "relation": raw["relationType"],
            }
        )

    # --- BA <-> ESCO mapping -----------------------------------------------------------------
    @cached_property
    def esco_kldb(self) -> pd.DataFrame:
        """Official BA mapping: esco_id, kldb (5 digits), ba_title, relation (exact/close/...)."""
        raw = pd.read_csv(self._path("esco_occupation_to_kldb2010.csv.gz"), dtype=str)
        raw = raw.dropna(subset=["kldb2010_5steller"])
        frame = pd.DataFrame(
            {
                "esco_id": raw["esco_uri"].map(esco_id),
                "esco_label": raw["esco_label_de_v1.0.3"].map(_clean_text),
                "kldb": raw["kldb2010_5steller"].str.zfill(5),
                "ba_title": raw["ba_beruf_label"].map(_clean_text),
                "relation": raw["mapping_relation"].str.replace("skos:", "", regex=False),
            }
        )
        # Only ESCO URIs of occupations (the mapping also lists ISCO groups).
        return frame[raw["esco_uri"].str.contains("/occupation/")].reset_index(drop=True)

    # --- Places ------------------------------------------------------------------------------
    @cached_property
    def municipalities(self) -> pd.DataFrame:
        """The 51 municipalities: ags, name, kreis, lat, lon, population, postcodes (list)."""
        raw = pd.read_csv(self._path("kaiserslautern_gemeinden.csv"), dtype=str)
        frame = pd.DataFrame(
            {
                "ags": raw["ags"].str.zfill(8),
                "name": raw["name_official_lau2024"].str.replace(", Stadt", "", regex=False),
                "kreis": raw["kreis"],
                "lat": raw["lat"].astype(float),
                "lon": raw["lon"].astype(float),
                "population": raw["population_geonames"].fillna("0").astype(int),
                "postcodes": raw["plz_list"].fillna("").str.split(),
            }
        )
        if len(frame) != 51:
            raise ReferenceDataError(f"expected 51 municipalities, found {len(frame)}")
        return frame.set_index("ags", drop=False)

    @cached_property
    def postcodes(self) -> pd.DataFrame:
        """Postcode centroids of the region: postcode, lat, lon, places (mean of GeoNames rows)."""
        raw = pd.read_csv(self._path("kaiserslautern_plz_places.csv"), dtype=str)
        raw["latitude"] = raw["latitude"].astype(float)
        raw["longitude"] = raw["longitude"].astype(float)
        grouped = raw.groupby("zipcode").agg(
            lat=("latitude", "mean"), lon=("longitude", "mean"), place=("place", "first")
        )
        # Postcodes listed for a municipality but absent from the gazetteer take its centroid.
        for _, row in self.municipalities.iterrows():
            for plz in row["postcodes"]:
                if plz not in grouped.index:
                    grouped.loc[plz] = (row["lat"], row["lon"], row["name"])
        grouped.index.name = "postcode"
        return grouped.reset_index().set_index("postcode", drop=False)

    @cached_property
    def postcode_municipalities(self) -> dict[str, list[str]]:
        """Postcode -> AGS of the municipalities that use it."""
        result: dict[str, list[str]] = {}
        for ags, codes in zip(self.municipalities["ags"], self.municipalities["postcodes"]):
            for plz in codes:
                result.setdefault(plz, []).append(ags)
        # GeoNames files 67661 (Hohenecken, Dansenberg, Mölschbach: districts of the city) under
        # the Landkreis, and the municipality list leaves it out: it belongs to the Stadt.
        result.setdefault(STADT_KL_POSTCODE_FIX[0], [STADT_KL_POSTCODE_FIX[1]])
        return result

    def municipality_by_name(self, name: str) -> str | None:
        """AGS for a municipality name (case-insensitive, ignores ', Stadt')."""
        key = name.replace(", Stadt", "").strip().casefold()
        matches = self.municipalities.loc[self.municipalities["name"].str.casefold() == key]
        return str(matches.iloc[0]["ags"]) if len(matches) else None
