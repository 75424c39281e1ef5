"""What proxy phrases in profile texts carry: exposure by gender with and without them.

    .venv/bin/python -m training.bench.proxies [--home DIR] [--vacancies N]

On the world under ``--home`` (default ``$MATCHER_HOME``; a store with protected attributes and a
built default encoder), every job seeker is rendered twice, as the engine used to (the profile
text as it is) and as it does now (``RenderConfig.drop_proxies``: without the sentences that name
family, health, age or origin, such as "Wegen Kinderbetreuung nur Teilzeit möglich"), and both are
embedded with the default encoder. For each of ``--vacancies`` open vacancies the job seekers whose
main occupation shares the vacancy's 3-digit KldB group are ranked by embedding similarity alone
(the retrieval stage, before any filter or re-ranker), and the exposure ratio per gender is the
share of the top-10 slots over the share of those eligible (1 = shown as often as present; the
definition of ``training.fairness.exposure_ratios``). Reported for all vacancies and for
full-time ones, where a childcare sentence pulls a profile away. Protected attributes are read
here for the audit only, as in the fairness audit.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd

TOP_K = 10


def exposure(sims: np.ndarray, pools: list[np.ndarray], gender: np.ndarray) -> pd.Series:
    """Per gender: share of top-10 slots over share of the eligible, summed over the vacancies."""
    shown: list[str] = []
    present: list[str] = []
    for row, pool in zip(sims, pools):
        if len(pool) <= TOP_K:
            continue
        top = pool[np.argsort(-row[pool], kind="stable")[:TOP_K]]
        shown += list(gender[top])
        present += list(gender[pool])
    eligible = pd.Series(present).value_counts(normalize=True)
    return pd.Series(shown).value_counts(normalize=True).reindex(eligible.index, fill_value=0.0) / eligible


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("MATCHER_HOME", "var")))
    parser.add_argument("--vacancies", type=int, default=1500)
    args = parser.parse_args(argv)

    from matcher.ranking.encoder import load_default_encoder
    from matcher.records.models import VacancyStatus, WorkingTime
    from matcher.records.reference import ReferenceData
    from matcher.records.render import RenderConfig, render_candidate, render_vacancy
    from matcher.records.store import Store
    from matcher.settings import Settings

    settings = Settings(home=args.home)
    store = Store(settings.store_url)
    people = store.candidates()
    open_ = [v for v in store.vacancies() if v.status == VacancyStatus.OPEN]
    protected = store.protected_attributes().set_index("candidate_id")["gender"]
    store.close()
    encoder = load_default_encoder(settings.encoder, settings.encoder_dir)
    reference = ReferenceData()
    vacancies = random.Random(11).sample(open_, min(args.vacancies, len(open_)))
    gender = np.array([protected.get(p.id) or "unknown" for p in people], dtype=object)
    groups = np.array([p.main_occupation[:3] for p in people])
    pools = [np.flatnonzero(groups == v.kldb[:3]) for v in vacancies]
    full_time = np.array([v.working_time == WorkingTime.FULL_TIME for v in vacancies])
    # whose embedded text the filter changes (a proxy sentence within the rendered start of the text)
    with_phrase = np.array(
        [
            render_candidate(p, reference, RenderConfig(drop_proxies=False)) != render_candidate(p, reference)
            for p in people
        ]
    )
    started = time.perf_counter()
    vac = encoder.encode([render_vacancy(v, reference) for v in vacancies])
    arms = {}
    for name, config in (("as written", RenderConfig(drop_proxies=False)), ("proxies removed", RenderConfig())):
        people_vectors = encoder.encode([render_candidate(p, reference, config) for p in people])
        sims = vac @ people_vectors.T
        arms[name] = (
            exposure(sims, pools, gender),
            exposure(sims[full_time], [pools[i] for i in np.flatnonzero(full_time)], gender),
        )
    seconds = time.perf_counter() - started

    print(f"$ python -m training.bench.proxies --home {args.home} --vacancies {args.vacancies}")
    women = gender == "f"
    print(
        f"{len(people)} job seekers ({int(with_phrase.sum())} with a proxy phrase in the embedded text as written, "
        f"{int((with_phrase & women).sum())} of them women); {len(vacancies)} open vacancies "
        f"({int(full_time.sum())} full time); {seconds:.0f} s"
    )
    print(
        "| exposure ratio in the top 10 by similarity | all vacancies, as written | all, proxies removed "
        "| full-time vacancies, as written | full time, proxies removed |"
    )
    print("|---|---|---|---|---|")
    written, removed = arms["as written"], arms["proxies removed"]
    for group in sorted(written[0].index):
        cells = [written[0].get(group), removed[0].get(group), written[1].get(group), removed[1].get(group)]
        print(f"| gender {group} | " + " | ".join(f"{c:.3f}" if c is not None else "–" for c in cells) + " |")


if __name__ == "__main__":
    main()
