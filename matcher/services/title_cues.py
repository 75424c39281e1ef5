"""What a job title says about the last two digits of its KldB code, whatever the occupation.

The 5th digit of a KldB 2010 code is the requirement level (1 Helfer/Anlerntätigkeiten ... 4 hoch
komplexe Tätigkeiten); a 4th digit of 9 marks supervisors and managers (Aufsicht, Führung), 8 "sonstige
spezifische Tätigkeitsangabe" and 0 "ohne Spezialisierung". Titles carry these cues in words that
do not depend on the occupation: "Helfer", "Fachkraft", "Techniker", "Meister", "Fachwirt",
"(Uni)", "Leiter". A small linear model over character n-grams, trained on the BA's job titles,
learns them, and it carries over to occupation groups whose titles it never saw (the occupation
suggester's held-out test: README "Occupation coding").

The suggester adds the weighted log-probabilities of a code's level and kind to the code's score,
so that "Labormeister/in" prefers the supervisors' code of the laboratory occupations and
"Dipl.-Ing. (Uni) - Verfahrenstechnik" an expert's code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

LEVELS = ("1", "2", "3", "4")
KINDS = ("0", "8", "9", "x")
"""The 4th digit as a kind: 0 without specialisation, 8 other specific, 9 supervisors and managers,
x any other (a specialisation)."""
_ABSENT = -30.0


def level_of(code: str) -> int:
    """The position of a KldB 5-digit code's requirement level in :data:`LEVELS`."""
    return LEVELS.index(code[4])


def kind_of(code: str) -> int:
    """The position of a KldB 5-digit code's kind in :data:`KINDS`."""
    return KINDS.index(code[3] if code[3] in "089" else "x")


@dataclass(frozen=True)
class TitleCues:
    """Two multinomial logistic models (level, kind) over a title's character 2-5-grams.

    Attributes:
        vectorizer: the fitted ``TfidfVectorizer`` (its analyzer, vocabulary and idf are used).
        level_weights, kind_weights: (n-grams + 1, classes); the last row is the intercept.
    """

    vectorizer: Any
    level_weights: NDArray[np.float64]
    kind_weights: NDArray[np.float64]

    def log_probabilities(self, title: str) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
        """Log-probabilities of the :data:`LEVELS` and :data:`KINDS` for one (normalised) title,
        and the share of its n-grams the models know (0 for a Cyrillic or Arabic title: then the
        log-probabilities say only what the training titles' mix is, and should not be used).

        """
        columns, weights, known = tfidf_row(self.vectorizer, self.vectorizer.build_analyzer()(title))
        levels = _log_softmax(weights, columns, self.level_weights)
        return levels, _log_softmax(weights, columns, self.kind_weights), known


def tfidf_row(vectorizer: Any, grams: Iterable[str]) -> tuple[NDArray[np.int64], NDArray[np.float64], float]:
    """One text's row of a fitted ``TfidfVectorizer`` (sublinear tf, L2-normalised), from its
    analysed n-grams: the known n-grams' columns, their weights, and the share of the n-grams the
    vocabulary knows. Built by hand: ``TfidfVectorizer.transform`` costs milliseconds for one string."""
    counts: dict[int, int] = {}
    vocabulary, seen = vectorizer.vocabulary_, 0
    for gram in grams:
        seen += 1
        column = vocabulary.get(gram)
        if column is not None:
            counts[column] = counts.get(column, 0) + 1
    columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    weights = (1.0 + np.log(tf)) * vectorizer.idf_[columns]
    norm = np.linalg.norm(weights)
    return columns, weights / norm if norm > 0 else weights, float(tf.sum()) / seen if seen else 0.0


def _log_softmax(
    values: NDArray[np.float64], columns: NDArray[np.int64], weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    logits = values @ weights[columns] + weights[-1]
    logits = logits - logits.max()
    return logits - np.log(np.exp(logits).sum())


def fit_title_cues(titles: Sequence[str], codes: Sequence[str], seed: int = 0) -> TitleCues:
    """Fit both models on titles (normalised as the suggester normalises them) and their codes.

    Stochastic gradient descent on the logistic loss (30 passes, L2 1e-5): it fits the ~15k BA
    titles in seconds, where ``LogisticRegression`` took two minutes for the same held-out figures.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: import on use
    from sklearn.linear_model import SGDClassifier

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    matrix = vectorizer.fit_transform(titles)

    def fit(labels: list[int], classes: int) -> NDArray[np.float64]:
        model = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, tol=None, random_state=seed)
        model.fit(matrix, labels)
        weights = np.zeros((matrix.shape[1] + 1, classes))
        weights[-1] = _ABSENT  # a class no training title has: (almost) never
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:  # one binary model: the first class is the reference
            coef, intercept = np.vstack([np.zeros_like(coef[0]), coef[0]]), np.array([0.0, intercept[0]])
        for row, label in enumerate(model.classes_):
            weights[:-1, label], weights[-1, label] = coef[row], intercept[row]
        return weights

    return TitleCues(
        vectorizer=vectorizer,
        level_weights=fit([level_of(c) for c in codes], len(LEVELS)),
        kind_weights=fit([kind_of(c) for c in codes], len(KINDS)),
    )
