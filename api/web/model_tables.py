"""The data team's tables of one training run, in German: metrics against the baselines, the
fairness table with the gate's verdict per group, and the hire rates per age group (the right
panel of the fairness plot). Values come from the run's own artifacts, nothing is computed again.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from matcher.services.promotion_gate import gated_group
from matcher.services.release import ATTRIBUTES_DE, GROUPS_DE

RANKERS_DE = {
    "model": "Re-Ranker (LambdaMART)",
    "embedding": "nur Einbettungsähnlichkeit",
    "lexical": "lexikalisch (Wortähnlichkeit)",
    "rules": "Regeln (Beruf und Entfernung)",
    "oracle": "Orakel (kennt den verborgenen Nutzen)",
    "champion": "Produktivmodell",
}
# metric column -> (header, one sentence of explanation)
METRICS_DE = {
    "ndcg@10": ("NDCG@10", "Güte der ersten zehn Plätze gemessen an den erfassten Ergebnissen (1 = ideal)."),
    "map": ("MAP", "mittlere Präzision über alle Vorschläge mit Bewerbung, Gespräch oder Einstellung."),
    "mrr": ("MRR", "Kehrwert des Platzes des ersten passenden Vorschlags, gemittelt."),
    "recall@10": ("Einstellungen in den Top 10", "Anteil der Einstellungen unter den ersten zehn Plätzen."),
    "recall@50": ("Einstellungen in den Top 50", "Anteil der Einstellungen unter den ersten fünfzig Plätzen."),
    "ndcg@10_of_oracle": ("Anteil am Orakel (NDCG@10)", "NDCG@10 geteilt durch den des Orakels."),
    "ndcg@10_vs_embedding": (
        "gegenüber Ähnlichkeit (NDCG@10)",
        "NDCG@10 geteilt durch den der reinen Einbettungsähnlichkeit (über 1 = besser).",
    ),
    "ndcg@10_utility": (
        "Nutzen in den Top 10",
        "wie viel des erreichbaren verborgenen Nutzens auf den ersten zehn Plätzen liegt (Orakel = 1).",
    ),
    "spearman_utility": (
        "Rangkorrelation mit dem Nutzen",
        "Spearman-Korrelation der Bewertungen mit dem verborgenen Nutzen über alle Paare.",
    ),
    "ndcg@10_proposals": (
        "NDCG@10 unter den Vorschlägen",
        "nur unter den tatsächlich vorgeschlagenen Stellen einer Person (jede hat ein erfasstes Ergebnis).",
    ),
    "ndcg@10_proposals_of_oracle": (
        "Anteil am Orakel unter den Vorschlägen",
        "derselbe Wert geteilt durch den des Orakels.",
    ),
}
FAIRNESS_DE = {
    "attribute": "Merkmal",
    "group": "Gruppe",
    "eligible": "Einträge im Prüfpool",
    "people": "Personen",
    "exposure_ratio": "Sichtbarkeit Modell",
    "exposure_ratio_embedding": "Sichtbarkeit nur Ähnlichkeit",
    "exposure_ratio_history": "Sichtbarkeit frühere Entscheidungen",
    "ndcg@10": "NDCG@10 (Stellen für die Person)",
    "queries": "Abfragen",
    "ndcg@10_employer": "NDCG@10 (Personen für die Stelle)",
}
HISTORY_DE = {
    "age_group": "Altersgruppe",
    "proposals": "Vorschläge",
    "hire_rate": "Einstellungsquote",
    "interview_or_better_rate": "Quote Gespräch oder besser",
    "mean_fit": "mittlere Regelbewertung",
    "hire_rate_low_fit": "Einstellungsquote, geringe Passung",
    "hire_rate_mid_fit": "Einstellungsquote, mittlere Passung",
    "hire_rate_high_fit": "Einstellungsquote, hohe Passung",
}
SMALL_SAMPLE = 30  # fewer queries than this: the group's figures are noisy


def read_csv(data: bytes | None) -> list[dict[str, str]]:
    if not data:
        return []
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def rounded(value: str | None) -> str:
    """Counts as they are, ratios with three decimals (German decimal comma), "–" for none."""
    if value is None or value == "":
        return "–"
    if value.isdigit():
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if number != number:  # nan
        return "–"
    return f"{number:.3f}".replace(".", ",").replace("-0,000", "0,000")


def metrics_table(rows: list[dict[str, str]]) -> dict[str, Any]:
    """Headers (German, with the explanations) and rows of ``metrics.csv``."""
    if not rows:
        return {"head": [], "rows": [], "explained": []}
    columns = [c for c in rows[0] if c != "ranker"]
    head = [METRICS_DE.get(c, (c, ""))[0] for c in columns]
    body = [[RANKERS_DE.get(r["ranker"], r["ranker"]), *(rounded(r[c]) for c in columns)] for r in rows]
    return {"head": head, "rows": body, "explained": [METRICS_DE[c] for c in columns if c in METRICS_DE]}


def fairness_table(rows: list[dict[str, str]], threshold: float, min_support: int) -> dict[str, Any]:
    """``fairness.csv`` in German, each group marked against the gate (the threshold and the
    minimum number of people the run was gated with) and flagged when its sample is small."""
    if not rows:
        return {"head": [], "rows": []}
    columns = [c for c in rows[0] if c not in ("attribute", "group")]
    head = [FAIRNESS_DE.get(c, c) for c in columns]
    body = []
    for r in rows:
        verdict = gate_verdict(r, threshold, min_support)
        queries = int(float(r.get("queries") or 0))
        small = f"kleine Stichprobe ({queries} Abfragen)" if queries < SMALL_SAMPLE else ""
        body.append(
            {
                "attribute": ATTRIBUTES_DE.get(r["attribute"], r["attribute"]),
                "group": GROUPS_DE.get(r["group"], r["group"]),
                "cells": [rounded(r[c]) for c in columns],
                "verdict": verdict,
                "small": small,
            }
        )
    return {"head": head, "rows": body}


def gate_verdict(row: dict[str, str], threshold: float, min_support: int) -> str:
    """ "bestanden", "unter der Schwelle" or why the gate does not judge the group."""
    if row["group"] == "unknown":
        return "nicht geprüft (Angabe fehlt)"
    people = int(float(row.get("people") or 0))
    if not gated_group(people, row["group"], min_support):
        return f"nicht geprüft (weniger als {min_support:,} Personen)".replace(",", ".")
    try:
        ratio = float(row["exposure_ratio"])
    except (KeyError, ValueError):
        return "nicht geprüft (kein Wert)"
    return "bestanden" if ratio >= threshold else "unter der Schwelle"


def history_table(rows: list[dict[str, str]]) -> dict[str, Any]:
    """``history_by_age.csv``: the recorded hire rates per age group (the plot's right panel)."""
    if not rows:
        return {"head": [], "rows": []}
    columns = list(rows[0])
    return {
        "head": [HISTORY_DE.get(c, c) for c in columns],
        "rows": [[GROUPS_DE.get(r[c], r[c]) if c == "age_group" else rounded(r[c]) for c in columns] for r in rows],
    }


_GATE = re.compile(r"(\w+)=([^:;]+): exposure ratio ([\d.]+) < ([\d.]+)")
_BEATS = re.compile(r"NDCG@10 ([\d.]+) (does not beat|beats) the champion's ([\d.]+)")


def reasons_de(reasons: list[str]) -> list[str]:
    """The training run's recorded reasons (English, ``training`` writes them) in German."""
    out = []
    for reason in reasons:
        if reason == "no champion yet":
            out.append("noch kein Produktivmodell: die erste bestandene Version wird es")
        elif reason.startswith("fairness gate failed"):
            out += [
                f"Fairness: {ATTRIBUTES_DE.get(a, a)} {GROUPS_DE.get(g, g)} mit {_de(r)} unter der Schwelle {_de(t)}"
                for a, g, r, t in _GATE.findall(reason)
            ]
        elif found := _BEATS.match(reason):
            mine, verb, theirs = found.groups()
            word = "besser als" if verb == "beats" else "nicht besser als"
            out.append(f"NDCG@10 {_de(mine, 4)} {word} {_de(theirs, 4)} des Produktivmodells")
        else:
            out.append(reason)
    return out


def _de(number: str, digits: int = 2) -> str:
    return f"{float(number):.{digits}f}".replace(".", ",")
