"""The learning-to-rank set, built from the placement history in the store.

A **query** is a job seeker on the day of a proposal: proposals are grouped by (candidate,
proposal date). Its **labelled items** are the vacancies proposed that day, with graded relevance
(hired 3, interview 2, applied 1, otherwise 0). Its **negatives** are what retrieval would have
shown the caseworker: vacancies open at that date and never proposed to that person, all label 0,
drawn from the top ``NEGATIVE_POOL`` x N by embedding similarity so that their posting ages follow
the proposals' (:func:`age_matched`): caseworkers propose young postings (a median 39 days on the
default world) while the open stock is older, and negatives taken by similarity alone let the
model learn the sampling instead of the match from ``vacancy_age_days``.

Open at a date ``d`` (the rule): posted on or before ``d`` and either still open today (status
``open``; the store keeps no closing date), posted at most ``open_window_days`` (120) days
before ``d``, or proposed to someone on or after ``d``. A filled or withdrawn vacancy is thus
assumed closed 120 days after posting or at its last proposal, whichever is later (without the
last clause, a posting proposed when older than 120 days could only ever be a proposal, and the
model learnt that from ``vacancy_age_days``).

Features come from :mod:`matcher.ranking.features` with ``as_of`` = the proposal date, exactly as served.
Nothing here reads protected attributes; the fairness audit joins them afterwards by id.
Retrieval here is exact inner-product search over the same embeddings that the FAISS indexes hold
(the exact index type is what the region's size uses).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.features import N_FEATURES, pair_features
from matcher.records.geo import Gazetteer
from matcher.records.models import RELEVANCE, Candidate, Outcome, Vacancy, VacancyStatus
from matcher.records.reference import ReferenceData
from matcher.records.render import render_candidate, render_vacancy
from matcher.records.store import Store
from training.config import OutcomeGrouping, TrainingConfig
from training.negatives import age_matched, exact_top_k

# Negatives are drawn from the NEGATIVE_POOL x N (at least NEGATIVE_POOL_MIN) most similar open
# vacancies: enough of every posting age that an age bin rarely runs short (then a neighbouring
# bin fills in). With 60 for the 15 training negatives, postings older than 120 days were 3.5 %
# of the negatives against 7.8 % of the proposals on the default world, and the model learnt it.
NEGATIVE_POOL = 4
NEGATIVE_POOL_MIN = 200
AGE_PERIOD_DAYS = 91  # negatives match the proposals' ages quarter by quarter

R = TypeVar("R", Candidate, Vacancy)
Table = TypeVar("Table", CandidateTable, VacancyTable)


class TextEncoder(Protocol):
    """What the dataset needs of :class:`matcher.ranking.encoder.Encoder`."""

    fingerprint: str

    def encode(self, texts: Sequence[str], progress: bool = False) -> NDArray[np.float32]: ...


class UtilityOracle(Protocol):
    """An evaluator that knows the hidden utility of pairs (the generated world's
    :class:`data.generate.oracle.Oracle`); it scores the test set only, never a feature."""

    def utility(self, candidate_ids: Sequence[str], vacancy_ids: Sequence[str]) -> NDArray[np.float64]: ...


@dataclass(frozen=True)
class CorpusSide(Generic[R, Table]):
    """One side of the corpus in one row order: records, their column table, rendered texts and
    vectors, and the row of each id."""

    records: list[R]
    table: Table
    texts: list[str]
    vectors: NDArray[np.float32]
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.records)


@dataclass(frozen=True)
class Corpus:
    """Every candidate and vacancy of the store (closed vacancies too), as tables and vectors."""

    candidates: CorpusSide[Candidate, CandidateTable]
    vacancies: CorpusSide[Vacancy, VacancyTable]
    still_open: NDArray[np.bool_]  # per vacancy row
    registered: NDArray[np.int64]  # per candidate row: the ordinal day of registration


@dataclass(frozen=True)
class RankingSet:
    """Rows (query, item) with features; the rows of one query are contiguous.

    ``queries`` has one row per query (``query``, ``as_of`` ordinal, and ``cand`` for the
    caseworker direction or ``vac`` for the employer direction).
    """

    features: NDArray[np.float32]
    labels: NDArray[np.int64]
    query: NDArray[np.int64]
    cand: NDArray[np.int64]
    vac: NDArray[np.int64]
    proposed: NDArray[np.bool_]
    utility: NDArray[np.float64]  # hidden utility of every pair (oracle only, never a feature), nan without one
    queries: pd.DataFrame

    def __len__(self) -> int:
        return len(self.labels)

    def group_sizes(self) -> NDArray[np.int64]:
        return np.bincount(self.query, minlength=len(self.queries)).astype(np.int64)

    def bounds(self) -> NDArray[np.int64]:
        """Row offsets: query q spans rows ``bounds[q]:bounds[q + 1]``."""
        return np.concatenate([[0], np.cumsum(self.group_sizes())]).astype(np.int64)

    def select(self, keep: NDArray[np.bool_]) -> RankingSet:
        """The queries where ``keep`` (one flag per query) is true, renumbered from 0."""
        rows = keep[self.query]
        renumber = np.cumsum(keep) - 1
        queries = self.queries[keep].reset_index(drop=True).assign(query=np.arange(int(keep.sum())))
        return RankingSet(
            self.features[rows],
            self.labels[rows],
            renumber[self.query[rows]],
            self.cand[rows],
            self.vac[rows],
            self.proposed[rows],
            self.utility[rows],
            queries,
        )

    def with_relevant(self) -> RankingSet:
        """Only queries with a relevant item: all-zero queries carry no LambdaMART gradient."""
        has = np.bincount(self.query, weights=self.labels > 0, minlength=len(self.queries)) > 0
        return self.select(has)


def embed_cached(encoder: TextEncoder, texts: list[str], cache_dir: Path | None, kind: str) -> NDArray[np.float32]:
    """Embeddings of ``texts``, reused from ``cache_dir`` when model and texts are the same."""
    key = hashlib.sha256(("\n".join([encoder.fingerprint, *texts])).encode()).hexdigest()[:16]
    path = cache_dir / f"{kind}-{key}.npy" if cache_dir is not None else None
    if path is not None and path.exists():
        return np.load(path)
    vectors = encoder.encode(texts)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)  # atomic: a half-written cache file is never read
    return vectors


def load_corpus(store: Store, encoder: TextEncoder, reference: ReferenceData, cache_dir: Path | None = None) -> Corpus:
    """Load, render and embed every candidate and vacancy of the store."""
    candidates, vacancies = store.candidates(), store.vacancies()
    if not candidates or not vacancies:
        raise ValueError("the store holds no candidates or no vacancies: run `matcher ingest` first")
    gazetteer = Gazetteer(reference)
    cand_texts = [render_candidate(c, reference) for c in candidates]
    vac_texts = [render_vacancy(v, reference) for v in vacancies]
    cand_table, vac_table = CandidateTable.build(candidates, gazetteer), VacancyTable.build(vacancies, gazetteer)
    cand_emb = embed_cached(encoder, cand_texts, cache_dir, "candidates")
    vac_emb = embed_cached(encoder, vac_texts, cache_dir, "vacancies")
    cand_rows, vac_rows = {c.id: i for i, c in enumerate(candidates)}, {v.id: i for i, v in enumerate(vacancies)}
    return Corpus(
        candidates=CorpusSide(candidates, cand_table, cand_texts, cand_emb, cand_rows),
        vacancies=CorpusSide(vacancies, vac_table, vac_texts, vac_emb, vac_rows),
        still_open=np.array([v.status == VacancyStatus.OPEN for v in vacancies], dtype=bool),
        registered=np.array([c.registered_at.toordinal() for c in candidates], dtype=np.int64),
    )


def _ordinals(days: pd.Series) -> NDArray[np.int64]:
    """Proleptic Gregorian ordinals (``date.toordinal``) of a datetime column."""
    epoch = pd.Timestamp("1970-01-01")
    return ((days.dt.normalize() - epoch).dt.days + date(1970, 1, 1).toordinal()).to_numpy(np.int64)


def with_feedback(proposals: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """The proposals plus one relevance-0 row per caseworker's "passt nicht" (matcher.services.contacts),
    on the day it was given: an explicit negative in that person's query of that day. Where a
    proposal of the same pair and day has an outcome, :func:`label_frame` keeps the best one."""
    if feedback.empty:
        return proposals
    marks = pd.DataFrame(
        {
            "id": [f"feedback-{i}" for i in range(len(feedback))],
            "candidate_id": feedback["candidate_id"].to_numpy(),
            "vacancy_id": feedback["vacancy_id"].to_numpy(),
            "proposed_at": pd.to_datetime(feedback["given_at"].str[:10]),
            "outcome": Outcome.NO_REACTION.value,
            "outcome_at": pd.NaT,
        }
    )
    return pd.concat([proposals, marks], ignore_index=True)


def label_frame(proposals: pd.DataFrame, corpus: Corpus) -> pd.DataFrame:
    """One row per (candidate, date, vacancy) with relevance.

    Proposals naming a person or vacancy that is not in the store (rejected at ingestion) are
    dropped. A vacancy proposed twice on one day keeps its best outcome.
    """
    frame = proposals.assign(
        cand=proposals["candidate_id"].map(corpus.candidates.index),
        vac=proposals["vacancy_id"].map(corpus.vacancies.index),
    ).dropna(subset=["cand", "vac"])
    relevance = {o.value: RELEVANCE.get(o, 0) for o in Outcome}
    frame = frame.assign(
        cand=frame["cand"].astype(np.int64),
        vac=frame["vac"].astype(np.int64),
        as_of=_ordinals(frame["proposed_at"]),
        relevance=frame["outcome"].map(relevance).fillna(0).astype(np.int64),
        hired=frame["outcome"] == Outcome.HIRED.value,
    )
    keys = ["cand", "as_of", "vac"]
    grouped = frame.groupby(keys, as_index=False).agg(
        candidate_id=("candidate_id", "first"),
        vacancy_id=("vacancy_id", "first"),
        relevance=("relevance", "max"),
        hired=("hired", "max"),
    )
    return grouped.sort_values(keys, kind="stable").reset_index(drop=True)


def split_by_time(labels: pd.DataFrame, test_window_days: int) -> tuple[pd.DataFrame, pd.DataFrame, date]:
    """(training, test, cutoff): the test window is the days after ``cutoff``."""
    cutoff = int(labels["as_of"].max()) - test_window_days
    test = labels["as_of"] > cutoff
    return labels[~test].reset_index(drop=True), labels[test].reset_index(drop=True), date.fromordinal(cutoff)


def sample_queries(labels: pd.DataFrame, key: Sequence[str], max_queries: int | None, seed: int) -> pd.DataFrame:
    """Keep at most ``max_queries`` whole queries, drawn with ``seed``."""
    queries = labels[list(key)].drop_duplicates()
    if max_queries is None or len(queries) <= max_queries:
        return labels
    keep = queries.sample(n=max_queries, random_state=seed)
    return labels.merge(keep, on=list(key)).reset_index(drop=True)


def _exclusions(pairs: pd.DataFrame, owner: str, other: str, n_owners: int) -> list[NDArray[np.int64]]:
    """For every owner index, the indices of ``other`` it was ever paired with."""
    out: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)] * n_owners
    for key, group in pairs.groupby(owner)[other]:
        out[int(key)] = group.to_numpy(dtype=np.int64)
    return out


def _features(
    corpus: Corpus, cand: NDArray[np.int64], vac: NDArray[np.int64], as_of: NDArray[np.int64]
) -> NDArray[np.float32]:
    """Pair features with each row's own ``as_of`` date (one call per distinct date)."""
    out = np.zeros((len(cand), N_FEATURES), dtype=np.float32)
    for day in np.unique(as_of):
        rows = np.nonzero(as_of == day)[0]
        sim = np.einsum("ij,ij->i", corpus.candidates.vectors[cand[rows]], corpus.vacancies.vectors[vac[rows]])
        block = pair_features(
            corpus.candidates.table, cand[rows], corpus.vacancies.table, vac[rows], sim, date.fromordinal(int(day))
        )
        out[rows] = block
    return out


def _assemble(
    corpus: Corpus,
    queries: pd.DataFrame,
    labelled: pd.DataFrame,
    negatives: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    seed: int,
    oracle: UtilityOracle | None = None,
) -> RankingSet:
    """Stack labelled rows and negatives (query, cand, vac), shuffle within each query, featurise.

    With an ``oracle`` every row gets its hidden utility (for evaluation only).
    """
    neg_query, neg_cand, neg_vac = negatives
    n_neg = len(neg_query)
    query = np.concatenate([labelled["query"].to_numpy(np.int64), neg_query])
    cand = np.concatenate([labelled["cand"].to_numpy(np.int64), neg_cand])
    vac = np.concatenate([labelled["vac"].to_numpy(np.int64), neg_vac])
    labels = np.concatenate([labelled["relevance"].to_numpy(np.int64), np.zeros(n_neg, np.int64)])
    proposed = np.arange(len(query)) < len(labelled)
    # A random order inside each query: ties (rules, oracle) must not favour proposed items.
    order = np.lexsort((np.random.default_rng(seed).random(len(query)), query))
    query, cand, vac, labels = query[order], cand[order], vac[order], labels[order]
    as_of = queries["as_of"].to_numpy(np.int64)[query]
    utility = (
        oracle.utility([corpus.candidates.records[i].id for i in cand], [corpus.vacancies.records[j].id for j in vac])
        if oracle is not None
        else np.full(len(query), np.nan)
    )
    return RankingSet(_features(corpus, cand, vac, as_of), labels, query, cand, vac, proposed[order], utility, queries)


def _open_then(
    corpus: Corpus, all_pairs: pd.DataFrame, open_window_days: int, q_day: NDArray[np.int64]
) -> Callable[[slice], NDArray[np.bool_]]:
    """For a block of queries, the vacancies each may get as negatives: posted by the query's day,
    and still open, or posted within ``open_window_days`` of it, or proposed on or after it."""
    posted, still_open = corpus.vacancies.table.posted_at, corpus.still_open
    last_proposed = np.full(len(corpus.vacancies), np.iinfo(np.int64).min)
    latest = all_pairs.groupby("vac")["as_of"].max()
    last_proposed[latest.index.to_numpy(np.int64)] = latest.to_numpy(np.int64)

    def allowed(block: slice) -> NDArray[np.bool_]:
        day = q_day[block, None]
        return (posted <= day) & (still_open | (day - posted <= open_window_days) | (day <= last_proposed))

    return allowed


def build_candidate_queries(
    corpus: Corpus,
    labels: pd.DataFrame,
    all_pairs: pd.DataFrame,
    n_negatives: int,
    open_window_days: int,
    seed: int,
    oracle: UtilityOracle | None = None,
) -> RankingSet:
    """Caseworker direction: vacancies for a job seeker on the day of the proposals.

    Args:
        labels: rows of :func:`label_frame` for the queries to build.
        all_pairs: every (cand, vac, as_of) proposal; no (cand, vac) of them becomes a negative.
        oracle: the hidden preferences, for the utility of every row (evaluation only).
    """
    queries = labels[["cand", "candidate_id", "as_of"]].drop_duplicates(["cand", "as_of"])
    queries = queries.reset_index(drop=True).rename_axis("query").reset_index()
    labelled = labels.merge(queries[["query", "cand", "as_of"]], on=["cand", "as_of"])
    q_cand, q_day = queries["cand"].to_numpy(np.int64), queries["as_of"].to_numpy(np.int64)
    posted = corpus.vacancies.table.posted_at
    exclude_by_cand = _exclusions(all_pairs, "cand", "vac", len(corpus.candidates))
    qpos, pool, sims = exact_top_k(
        corpus.candidates.vectors[q_cand],
        corpus.vacancies.vectors,
        _open_then(corpus, all_pairs, open_window_days, q_day),
        [exclude_by_cand[c] for c in q_cand],
        max(n_negatives * NEGATIVE_POOL, NEGATIVE_POOL_MIN),
    )
    first = int(q_day.min())
    prop_day = labelled["as_of"].to_numpy(np.int64)
    prop_age = prop_day - posted[labelled["vac"].to_numpy(np.int64)]
    periods = ((q_day - first) // AGE_PERIOD_DAYS, (prop_age, (prop_day - first) // AGE_PERIOD_DAYS))
    keep = age_matched(qpos, sims, q_day[qpos] - posted[pool], *periods, n_negatives, seed)
    qpos, pool = qpos[keep], pool[keep]
    return _assemble(corpus, queries, labelled, (qpos, q_cand[qpos], pool), seed, oracle)


def build_vacancy_queries(
    corpus: Corpus, labels: pd.DataFrame, all_pairs: pd.DataFrame, n_negatives: int, seed: int
) -> RankingSet:
    """Employer-service direction: job seekers for a vacancy, for the fairness audit.

    A query is a vacancy proposed in ``labels``, as of its first proposal there; its items are
    the people proposed for it (graded) and the ``n_negatives`` most similar others registered
    by then (label 0).
    """
    first = labels.groupby("vac", as_index=False).agg(as_of=("as_of", "min"), vacancy_id=("vacancy_id", "first"))
    queries = first.rename_axis("query").reset_index()
    best = labels.groupby(["vac", "cand"], as_index=False).agg(relevance=("relevance", "max"))
    labelled = best.merge(queries[["query", "vac"]], on="vac")
    q_vac, q_day = queries["vac"].to_numpy(np.int64), queries["as_of"].to_numpy(np.int64)
    exclude_by_vac = _exclusions(all_pairs, "vac", "cand", len(corpus.vacancies))

    def allowed(block: slice) -> NDArray[np.bool_]:
        return corpus.registered[None, :] <= q_day[block, None]

    qpos, neg_cand, _ = exact_top_k(
        corpus.vacancies.vectors[q_vac],
        corpus.candidates.vectors,
        allowed,
        [exclude_by_vac[v] for v in q_vac],
        n_negatives,
    )
    return _assemble(corpus, queries, labelled, (qpos, neg_cand, q_vac[qpos]), seed)


def outcome_groups(data: RankingSet, by: OutcomeGrouping) -> list[NDArray[np.int64]]:
    """Rows of the proposed items regrouped by job seeker (``"cand"``) or vacancy (``"vac"``) over
    the whole window, one array per group; groups of two or more with a relevant outcome only.

    A proposal-day query holds one proposal as a rule, so LambdaMART learns from it which items
    get proposed, not which proposals work out. In these groups every item has an observed
    outcome: ordering them is learning the outcome itself.
    """
    rows = np.flatnonzero(data.proposed)
    if len(rows) == 0:
        return []
    keys = (data.cand if by == "cand" else data.vac)[rows]
    order = np.argsort(keys, kind="stable")
    rows, keys = rows[order], keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    groups = np.split(rows.astype(np.int64), starts[1:])
    return [g for g in groups if len(g) >= 2 and data.labels[g].max() > 0]


@dataclass(frozen=True)
class Proposals:
    """Proposed pairs with their features and relevance: what a calibration is fitted on."""

    features: NDArray[np.float32]
    labels: NDArray[np.int64]
    first_day: date | None
    last_day: date | None

    def __len__(self) -> int:
        return len(self.labels)


def proposal_rows(corpus: Corpus, labels: pd.DataFrame) -> Proposals:
    """The proposals of ``labels`` (rows of :func:`label_frame`), featurised as of their day."""
    as_of = labels["as_of"].to_numpy(np.int64)
    features = _features(corpus, labels["cand"].to_numpy(np.int64), labels["vac"].to_numpy(np.int64), as_of)
    days = (date.fromordinal(int(as_of.min())), date.fromordinal(int(as_of.max()))) if len(as_of) else (None, None)
    return Proposals(features, labels["relevance"].to_numpy(np.int64), *days)


@dataclass(frozen=True)
class Datasets:
    """Everything the pipeline trains, evaluates and audits on."""

    corpus: Corpus
    train: RankingSet | None  # None when only evaluating
    calibration: Proposals | None  # the calibration window's proposals; None when only evaluating
    test: RankingSet
    audit: RankingSet  # employer direction on the test window
    test_labels: pd.DataFrame  # the test window's proposals (for the history audit)
    cutoff: date
    first_day: date
    last_day: date


def _windows(labels: pd.DataFrame, config: TrainingConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, date]:
    """(training, calibration, test) proposals by time, training and test sampled by query, and
    the test window's first day."""
    train_labels, test_labels, cutoff = split_by_time(labels, config.test_window_days)
    if train_labels.empty or test_labels.empty:
        raise ValueError("the time split left no training or no test proposals")
    train_labels, calibration_labels, _ = split_by_time(train_labels, config.calibration_window_days)
    if train_labels.empty:
        raise ValueError("the calibration window left no training proposals (shorten calibration_window_days)")
    key = ["cand", "as_of"]
    train_labels = sample_queries(train_labels, key, config.max_train_queries, config.seed)
    test_labels = sample_queries(test_labels, key, config.max_test_queries, config.seed)
    return train_labels, calibration_labels, test_labels, cutoff


def build_datasets(
    corpus: Corpus,
    proposals: pd.DataFrame,
    oracle: UtilityOracle | None,
    config: TrainingConfig,
    with_train: bool = True,
) -> Datasets:
    """Label, split by time, sample and build the training, calibration, test and audit sets.

    Time runs: training window, calibration window (``config.calibration_window_days`` before
    the test window; the model never trains on it), test window.

    The ``oracle``'s utility goes into the test set only: training never sees it.
    """
    labels = label_frame(proposals, corpus)
    if labels.empty:
        raise ValueError("no usable proposals in the store: nothing to learn from")
    all_pairs = labels[["cand", "vac", "as_of"]]
    train_labels, calibration_labels, test_labels, cutoff = _windows(labels, config)
    return Datasets(
        corpus=corpus,
        train=build_candidate_queries(
            corpus, train_labels, all_pairs, config.negatives_train, config.open_window_days, config.seed
        )
        if with_train
        else None,
        calibration=proposal_rows(corpus, calibration_labels) if with_train else None,
        test=build_candidate_queries(
            corpus, test_labels, all_pairs, config.negatives_test, config.open_window_days, config.seed, oracle
        ),
        audit=build_vacancy_queries(corpus, test_labels, all_pairs, config.audit_pool, config.seed),
        test_labels=test_labels,
        cutoff=cutoff,
        first_day=date.fromordinal(int(labels["as_of"].min())),
        last_day=date.fromordinal(int(labels["as_of"].max())),
    )
