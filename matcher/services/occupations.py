"""Occupation coding: a free job title -> KldB 2010 codes and the ESCO occupations they link to.

Employers' vacancies and job seekers' own words arrive as free titles ("Staplerfahrer
Nachtschicht", "Verkäuferin (m/w/d)"); the Jobcenter codes them into KldB 2010 by hand. The
suggester ranks labels from the reference data (KldB titles, the BA's job titles, ESCO preferred
and alternative labels, each tied to its KldB codes through the BA's ESCO mapping) by a fusion of
the encoder's cosine and character n-gram TF-IDF, and keeps each code's best label.

Both sides pass through :func:`normalise_title` first, so gendered forms ("Bäcker/in",
"Bäckerin", "BäckerIn", "Kauffrau") and notes such as "(m/w/d)" or "Vollzeit" do not move a
title away from its code. Titles in ESCO's other languages and in Arabic find the German labels
through the encoder, which learnt them from ESCO's parallel labels (the index holds German only).
The label index is built on the first query (a few seconds, once per
suggester) and kept in memory; a query is then one encoder call and two matrix products.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.records.reference import ReferenceData
from matcher.records.text import fold
from matcher.services.title_cues import TitleCues, fit_title_cues, kind_of, level_of, tfidf_row

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from matcher.ranking.encoder import Encoder

ESCO_OCCUPATION_URI = "http://data.europa.eu/esco/occupation/"

LabelSource = Literal["kldb", "ba", "esco"]
"""KldB 5-digit titles, the BA's job titles (Berufsbenennungen), ESCO occupation labels."""

Relation = Literal["exactMatch", "closeMatch", "narrowMatch", "broadMatch"]

# Job-ad notes that say nothing about the occupation.
_NOTES = re.compile(
    r"\b(?:in\s+)?(?:vollzeit|teilzeit|minijob|nachtschicht|frühschicht|spätschicht|wechselschicht|"
    r"schichtdienst|schichtarbeit|ab\s+sofort|gesucht|befristet|unbefristet|festanstellung|"
    r"aushilfsweise|quereinsteiger|quereinstieg)\b",
    re.IGNORECASE,
)
_GENDER_NOTE = re.compile(r"[(\[]?\s*\b[mwdfx]\s*[/|,]\s*[mwdfx](?:\s*[/|,]\s*[mwdfx])?\b\s*[)\]]?", re.IGNORECASE)
# "/in", "/-in", "/innen", "(in)", "*in", ":in", "_in" after a word: the feminine ending.
_SLASH_ENDING = re.compile(r"(?<=\w)\s*(?:/-?|\*|:|_|\()(?:in|innen|frau)\)?(?=\W|$)", re.IGNORECASE)
# "BäckerIn", "BäckerInnen" (Binnen-I).
_BINNEN_I = re.compile(r"(?<=[a-zäöüß])In(?:nen)?\b")
# "Kaufmann/-frau", "Kaufmann/Kauffrau": the second form adds nothing.
_MANN_FRAU = re.compile(r"(?<=mann)\s*/\s*-?\w*frau\b", re.IGNORECASE)
# "Verkäufer/Verkäuferin", "Leiter/Leiterin": the repeated feminine form.
_PAIR = re.compile(r"\b(\w+?)(e?)\s*/\s*\1(?:in|innen|frau)\b", re.IGNORECASE)
# Feminine words: "-erin", "-istin", "-antin", ... -> the masculine stem; "-frau" -> "-mann".
_FEMININE = re.compile(r"(?<=[a-zäöüß]{2})(er|ist|ant|ent|eur|or|at|ör|og|ar)(?:in|innen)\b", re.IGNORECASE)
_FRAU = re.compile(r"(?<=\w)frau\b", re.IGNORECASE)
# "/-gehilfin", "/-meisterin": a feminine form of the last part.
_DASH_ENDING = re.compile(r"\s*/\s*-\w+(?:in|innen)\b", re.IGNORECASE)
_IRREGULAR = {"ärztin": "arzt", "köchin": "koch", "anwältin": "anwalt", "beamtin": "beamter", "bäuerin": "bauer"}
_IRREGULAR_ENDING = re.compile(rf"({'|'.join(_IRREGULAR)})(?:nen)?\b", re.IGNORECASE)
_SPACES = re.compile(r"[\s,;|]+")
# A code with one or two labels: its missing labels count as its best less this (in z units).
_POOL_FLOOR = 3.0
_WORD = re.compile(r"\w+")
_FEMININE_SUFFIXES = ("innen", "in")


def normalise_title(text: str) -> str:
    """A job title without gender endings and job-ad notes, with its case kept.

    ``"Verkäufer/in (m/w/d)"``, ``"Verkäuferin"`` and ``"VerkäuferIn Vollzeit"`` all become
    ``"Verkäufer"``; ``"Kauffrau im Einzelhandel"`` becomes ``"Kaufmann im Einzelhandel"``.
    """
    text = _NOTES.sub(" ", _GENDER_NOTE.sub(" ", text))
    text = _DASH_ENDING.sub("", _MANN_FRAU.sub("", text))
    text = _IRREGULAR_ENDING.sub(_irregular, text)
    text = _PAIR.sub(lambda m: m.group(1) + m.group(2), text)
    text = _SLASH_ENDING.sub("", _BINNEN_I.sub("", text))
    text = _FEMININE.sub(lambda m: "oge" if m.group(1).lower() == "og" else m.group(1), text)
    text = _FRAU.sub("mann", text)
    return _SPACES.sub(" ", text).strip(" -/")


def _irregular(match: re.Match[str]) -> str:
    word = _IRREGULAR[match.group(1).lower()]
    return word.capitalize() if match.group(1)[0].isupper() else word


@dataclass(frozen=True)
class OccupationSuggestion:
    """One KldB code for a title, with the ESCO occupation it links to best (if any)."""

    kldb: str
    title_de: str
    esco_uri: str | None
    esco_title_de: str | None
    score: float
    label: str
    """The reference label that matched best (for the reader; not part of the API contract)."""


@dataclass(frozen=True)
class SuggesterConfig:
    """What the label index holds and how the two scores are fused.

    Attributes:
        sources: which reference labels go into the index (the evaluation leaves one out).
        esco_alt_labels: index ESCO alternative labels too, not only the preferred ones.
        relations: which links of the BA's ESCO mapping tie an ESCO label to a KldB code.
        dense_weight: weight of the encoder's z-scored cosine; TF-IDF gets the rest. The issue's
            probe found 0.85/0.15 best on its German benchmark; see README "Occupation coding".
        ngram_range: character n-gram lengths of the TF-IDF part.
        prefilter: the encoder scores only this many texts, those closest by TF-IDF (0: all).
            A dense pass over all ~29k texts took 10 ms on two shared cores; see README.
        full_pass_below: when no text reaches this TF-IDF cosine, the encoder scores all texts:
            a title in another language or script ("sudor", "заварчик", "لحام") shares few
            n-grams with its German labels, so the lexical shortlist would miss them.
        max_df: n-grams in more than this share of texts are left out ("er ", "in "): they say
            little and their long postings made most of a query's TF-IDF time.
        relation_penalty: subtracted (in z units) from an ESCO label's score for a KldB code that
            the BA mapping links less tightly, so that exact links win ties.
        label_pooling: weights of a code's second and third best label beside its best one (a
            code that several labels fit is likelier than one with a single close label).
        cue_weights: weights of the log-probabilities of a code's requirement level and kind
            given the title (:mod:`matcher.services.title_cues`); (0, 0) leaves the cues out.
        cue_held_out: KldB group prefixes whose BA titles the cues never learn from (the
            evaluation's held-out groups).
        cue_floor: the cues' log-probabilities count at least this much: the models are sure of
            themselves on BA-style titles and too sure on others (ESCO's labels). Both are
            scaled by the share of the title's n-grams the models know.
    """

    sources: tuple[LabelSource, ...] = ("kldb", "ba", "esco")
    esco_alt_labels: bool = True
    relations: tuple[Relation, ...] = ("exactMatch", "closeMatch", "narrowMatch", "broadMatch")
    dense_weight: float = 0.85
    ngram_range: tuple[int, int] = (3, 5)
    prefilter: int = 2000
    full_pass_below: float = 0.4
    max_df: float = 0.02
    relation_penalty: tuple[tuple[Relation, float], ...] = (
        ("exactMatch", 0.0),
        ("closeMatch", 0.1),
        ("narrowMatch", 0.3),
        ("broadMatch", 0.3),
    )
    label_pooling: tuple[float, float] = (0.35, 0.2)
    cue_weights: tuple[float, float] = (0.6, 0.3)
    cue_held_out: tuple[str, ...] = ()
    cue_floor: float = -1.0


# --- labels ------------------------------------------------------------------------------------
def label_table(reference: ReferenceData, config: SuggesterConfig) -> pd.DataFrame:
    """One row per (label, KldB code, ESCO id or ""): the index's content, before normalisation."""
    parts: list[pd.DataFrame] = []
    if "kldb" in config.sources:
        kldb = reference.kldb.loc[reference.kldb["level"] == 5]
        for column in ("title", "short_title"):
            parts.append(pd.DataFrame({"label": kldb[column].to_numpy(), "kldb": kldb["code"].to_numpy()}))
    if "ba" in config.sources:
        titles = reference.job_titles
        parts.append(pd.DataFrame({"label": titles["title"].to_numpy(), "kldb": titles["kldb"].to_numpy()}))
    if "esco" in config.sources:
        parts.append(_esco_labels(reference, config))
    table = pd.concat(parts, ignore_index=True).fillna({"esco": "", "penalty": 0.0})
    table = table[table["kldb"].isin(reference.kldb5_codes) & (table["label"].str.strip() != "")]
    # An ESCO occupation linked to one code by two relations keeps the tighter one.
    table = table.sort_values("penalty", kind="stable").drop_duplicates(["label", "kldb", "esco"])
    return table.reset_index(drop=True)


def _esco_labels(reference: ReferenceData, config: SuggesterConfig) -> pd.DataFrame:
    occupations = reference.esco_occupations
    labels = occupations[["id", "label"]].rename(columns={"id": "esco"})
    if config.esco_alt_labels:
        alt = occupations[["id", "alt_labels"]].explode("alt_labels").dropna()
        labels = pd.concat([labels, alt.rename(columns={"id": "esco", "alt_labels": "label"})])
    links = reference.esco_kldb
    links = links.loc[links["relation"].isin(config.relations), ["esco_id", "kldb", "relation"]]
    merged = labels.merge(links, left_on="esco", right_on="esco_id")
    merged["penalty"] = merged["relation"].map(dict(config.relation_penalty)).fillna(0.0)
    return merged[["label", "kldb", "esco", "penalty"]]


# --- the index ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Index:
    """Unique normalised texts with their vectors, and the label rows grouped by KldB code."""

    texts: list[str]
    dense: NDArray[np.float32] | None  # (texts, dim), unit rows; None without an encoder
    dense_mean: NDArray[np.float64]  # mean row
    dense_cov: NDArray[np.float64]  # covariance of the rows (dim, dim)
    tfidf_t: csr_matrix  # (n-grams, texts): a query's n-grams select only their postings
    row_text: NDArray[np.int64]  # label row -> text, rows sorted by KldB code
    row_penalty: NDArray[np.float64]
    row_label: list[str]
    row_esco: list[str]
    codes: NDArray[np.str_]  # distinct KldB codes, sorted
    starts: NDArray[np.int64]  # first row of each code
    cues: TitleCues | None  # the level and kind a title suggests; None: left out
    code_level: NDArray[np.int64]  # per code, its position in title_cues.LEVELS
    code_kind: NDArray[np.int64]  # per code, its position in title_cues.KINDS


class OccupationSuggester:
    """Free job title -> KldB 5-digit codes with their best ESCO occupation, best first.

    Without an encoder it ranks by character TF-IDF alone (what ingestion can do offline when no
    encoder is configured). Thread-safe: the index is built once under a lock.
    """

    def __init__(
        self,
        reference: ReferenceData,
        encoder: Encoder | None,
        config: SuggesterConfig | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """``cache_dir``: where the built index is kept between processes (None: not kept)."""
        self.reference = reference
        self.encoder = encoder
        self.config = config or SuggesterConfig()
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._index: _Index | None = None

    @cached_property
    def _esco(self) -> dict[str, tuple[str, str]]:
        occupations = self.reference.esco_occupations
        return dict(zip(occupations["id"], zip(occupations["uri"], occupations["label"])))

    @property
    def index(self) -> _Index:
        """The label index, built on first use (or read from ``cache_dir``)."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    file = self.cache_file()  # hashes the reference files: once
                    self._index = (file and self._cached(file)) or self._build_and_keep(file)
        return self._index

    @cached_property
    def _spellings(self) -> dict[str, str]:
        """Folded word -> the reference labels' own spelling of it (the most frequent one)."""
        words = Counter(word for label in (*self.index.row_label, *self.index.texts) for word in _WORD.findall(label))
        best: dict[str, tuple[int, str]] = {}
        for word, n in words.items():  # each distinct word folded once
            key = fold(word)
            if n > best.get(key, (0, ""))[0]:
                best[key] = (n, word)
        return {key: word for key, (_, word) in best.items()}

    def respell(self, text: str) -> str:
        """``text`` (NFC) with each word in the labels' spelling where only case, umlauts written
        as ae/oe/ue or "ss" for "ß" differ (:func:`matcher.records.text.fold`): "Strassenbauer" is searched
        as "Straßenbauer", "VERKAEUFERIN" as "Verkäuferin" (a feminine ending is kept)."""
        spellings = self._spellings

        def one(match: re.Match[str]) -> str:
            word = match.group(0)
            key = fold(word)
            if key in spellings:
                return spellings[key]
            for suffix in _FEMININE_SUFFIXES:
                if key.endswith(suffix) and key[: -len(suffix)] in spellings:
                    return spellings[key[: -len(suffix)]] + word[-len(suffix) :]
            return word

        return _WORD.sub(one, unicodedata.normalize("NFC", text))

    # --- the index kept between processes ------------------------------------------------------
    def cache_file(self) -> Path | None:
        """The index's file under ``cache_dir``, named by what it is built from: the encoder's
        fingerprint, the config and the reference files (another of any builds a new one)."""
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(repr(self.config).encode())
        digest.update((self.encoder.fingerprint if self.encoder else "tf-idf only").encode())
        for file in sorted(f for f in Path(self.reference.directory).rglob("*") if f.is_file()):
            digest.update(file.name.encode() + file.read_bytes())
        return self.cache_dir / f"occupations-{digest.hexdigest()[:20]}.pickle"

    def _cached(self, file: Path) -> _Index | None:
        if not file.is_file():
            return None
        try:  # our own file in the private home (as trusted as the models there)
            index, self._vectorizer = pickle.loads(file.read_bytes())  # noqa: S301
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
            return None  # truncated, or written by another version of the code: built again
        self._analyse = self._vectorizer.build_analyzer()
        return index if isinstance(index, _Index) else None

    def _build_and_keep(self, file: Path | None) -> _Index:
        index = self._build()
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, staging = tempfile.mkstemp(prefix=f".{file.name}-", dir=file.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pickle.dumps((index, self._vectorizer), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(staging, file)  # a reader sees the whole file or none
        return index

    def _build(self) -> _Index:
        from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: import on use

        table = label_table(self.reference, self.config)
        table["text"] = table["label"].map(normalise_title)
        table = table[table["text"] != ""].sort_values(["kldb", "text", "esco"], kind="stable")
        texts, row_text = np.unique(table["text"].to_numpy(dtype=str), return_inverse=True)
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.config.ngram_range,
            sublinear_tf=True,
            max_df=self.config.max_df,
            dtype=np.float32,
        )
        tfidf = self._vectorizer.fit_transform(texts)
        self._analyse = self._vectorizer.build_analyzer()
        dense = None if self.encoder is None else self.encoder.encode(list(texts))
        moments = (np.zeros(1), np.zeros((1, 1))) if dense is None else _moments(dense)
        codes, starts = np.unique(table["kldb"].to_numpy(dtype=str), return_index=True)
        return _Index(
            texts=list(texts),
            dense=dense,
            dense_mean=moments[0],
            dense_cov=moments[1],
            tfidf_t=tfidf.T.tocsr(),
            row_text=row_text.astype(np.int64),
            row_penalty=table["penalty"].to_numpy(dtype=np.float64),
            row_label=list(table["label"]),
            row_esco=list(table["esco"]),
            codes=codes,
            starts=starts.astype(np.int64),
            cues=self._fit_cues(),
            code_level=np.array([level_of(str(c)) for c in codes], dtype=np.int64),
            code_kind=np.array([kind_of(str(c)) for c in codes], dtype=np.int64),
        )

    def _fit_cues(self) -> TitleCues | None:
        """The title cues, fitted on the BA's job titles outside ``cue_held_out``."""
        if not any(self.config.cue_weights):
            return None
        titles = self.reference.job_titles
        held_out = tuple(self.config.cue_held_out)
        titles = titles[~titles["kldb"].str.startswith(held_out)] if held_out else titles
        titles = titles[titles["kldb"].isin(self.reference.kldb5_codes)]
        return fit_title_cues(list(titles["title"].map(normalise_title)), list(titles["kldb"]))

    def warm_up(self) -> None:
        """Build the index now rather than on the first query."""
        _ = self.index

    # --- scoring ---------------------------------------------------------------------------
    def _lexical(self, query: str) -> NDArray[np.float64]:
        """TF-IDF cosine of the query with every text; the query vector is built by hand, which
        takes 0.05 ms where ``TfidfVectorizer.transform`` takes 2.4 ms for one string."""
        from scipy.sparse import csr_matrix

        columns, weights, _ = tfidf_row(self._vectorizer, self._analyse(query))
        if not columns.size:
            return np.zeros(len(self.index.texts))
        vocabulary = self._vectorizer.vocabulary_
        vector = csr_matrix((weights, (np.zeros_like(columns), columns)), shape=(1, len(vocabulary)))
        return np.asarray((vector @ self.index.tfidf_t).todense(), dtype=np.float64).ravel()

    def text_scores(self, text: str) -> NDArray[np.float64]:
        """The fused score of every indexed text for one title (higher is closer; -inf for texts
        outside the lexical shortlist when ``prefilter`` is set)."""
        index = self.index
        text = self.respell(text)
        query = normalise_title(text) or text
        lexical = self._lexical(query)
        if index.dense is None or self.encoder is None:
            return lexical
        vector = self.encoder.encode([query])[0]
        # The dense cosines' mean and spread over all texts, exactly, from the rows' mean and
        # covariance: the z-score needs them, the cosines themselves only for the shortlist.
        mean = float(index.dense_mean @ vector)
        std = float(np.sqrt(max(vector @ index.dense_cov @ vector, 1e-12)))  # float64 moments
        weight = self.config.dense_weight
        fused_lexical = (1.0 - weight) * _zscore(lexical)
        limit = self.config.prefilter
        if not limit or limit >= len(lexical) or lexical.max() < self.config.full_pass_below:
            return weight * (index.dense @ vector - mean) / std + fused_lexical
        shortlist = np.argpartition(-lexical, limit)[:limit]
        scores = np.full(len(lexical), -np.inf)
        scores[shortlist] = weight * (index.dense[shortlist] @ vector - mean) / std + fused_lexical[shortlist]
        return scores

    def suggest(self, text: str, k: int = 5) -> list[OccupationSuggestion]:
        """The ``k`` KldB codes whose labels fit the title best, best first.

        A code's score pools its three best labels' fused scores (weighted by
        ``label_pooling``, the best one first) and adds the title cues' log-probabilities of its
        level and kind; squashed into 0..1 (a logistic of the z-score fusion), it orders, it is
        not a probability.
        """
        index = self.index
        row_scores = self.text_scores(text)[index.row_text] - index.row_penalty
        best = self.code_scores(text, row_scores)
        order = np.argsort(-best, kind="stable")[:k]
        return [self._suggestion(int(group), float(best[group]), row_scores) for group in order]

    def code_scores(self, text: str, row_scores: NDArray[np.float64]) -> NDArray[np.float64]:
        """Every code's score from its labels' scores (``row_scores``, rows grouped by code)."""
        index, (second_weight, third_weight) = self.index, self.config.label_pooling
        sizes = np.diff(np.append(index.starts, len(row_scores)))
        rest = row_scores.copy()
        pooled = np.maximum.reduceat(rest, index.starts)  # the best label's
        base, total = pooled - _POOL_FLOOR, 1.0  # a code with one label: its second counts best - 3
        for weight in (second_weight, third_weight):
            rest[rest == np.repeat(np.maximum.reduceat(rest, index.starts), sizes)] = -np.inf
            pooled, total = pooled + weight * np.maximum(np.maximum.reduceat(rest, index.starts), base), total + weight
        if index.cues is not None:
            levels, kinds, known = index.cues.log_probabilities(normalise_title(text) or text)
            cue_floor, (level_weight, kind_weight) = self.config.cue_floor, self.config.cue_weights
            levels, kinds = np.maximum(levels, cue_floor) * known, np.maximum(kinds, cue_floor) * known
            pooled += level_weight * levels[index.code_level] + kind_weight * kinds[index.code_kind]
        return pooled / total

    def suggest_many(self, texts: Sequence[str], k: int = 5) -> list[list[OccupationSuggestion]]:
        return [self.suggest(text, k) for text in texts]

    def _suggestion(self, group: int, score: float, row_scores: NDArray[np.float64]) -> OccupationSuggestion:
        index = self.index
        start = int(index.starts[group])
        end = int(index.starts[group + 1]) if group + 1 < len(index.starts) else len(index.row_text)
        rows = range(start, end)
        best_row = max(rows, key=lambda r: row_scores[r])
        esco_rows = [r for r in rows if index.row_esco[r]]
        esco_id = index.row_esco[max(esco_rows, key=lambda r: row_scores[r])] if esco_rows else None
        uri, esco_title = self._esco.get(esco_id, (None, None)) if esco_id else (None, None)
        code = str(index.codes[group])
        return OccupationSuggestion(
            kldb=code,
            title_de=self.reference.kldb_title(code),
            esco_uri=uri,
            esco_title_de=esco_title,
            score=round(_squash(score, self.index.dense is not None), 4),
            label=index.row_label[best_row],
        )


def _moments(rows: NDArray[np.float32]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    values = rows.astype(np.float64)
    mean = values.mean(axis=0)
    return mean, np.cov(values, rowvar=False, bias=True)


def _zscore(scores: NDArray[np.floating]) -> NDArray[np.float64]:
    scores = scores.astype(np.float64)
    std = scores.std()
    return (scores - scores.mean()) / (std if std > 0 else 1.0)


def _squash(score: float, fused: bool) -> float:
    """A fused z-score (best labels sit at about 5-15) to 0..1; a plain TF-IDF cosine is kept."""
    if not fused:
        return min(max(score, 0.0), 1.0)
    return float(1.0 / (1.0 + np.exp(-(score - 6.0) / 2.0)))
