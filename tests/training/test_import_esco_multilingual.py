"""The import of ESCO's labels in other languages: labels only, Arabic halves, German left out."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from matcher.records.reference import ReferenceData
from training import import_esco_multilingual as importer

URI = "http://data.europa.eu/esco/occupation/"


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    pd.DataFrame(rows).to_csv(path, index=False, compression="gzip")


def test_import_keeps_labels_and_splits_arabic_halves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        tmp_path / "occupations_ro_v1.0.8.csv.gz",
        [{"conceptUri": URI + "a", "preferredLabel": "sudor/sudoare", "altLabels": "sudor\n  sudor  MIG\nsudor"}],
    )
    _write(tmp_path / "occupations_ar_v1.0.3.csv.gz", [{"conceptUri": URI + "b", "preferredLabel": "خباز / خبازة"}])
    _write(tmp_path / "occupations_de_v1.0.8.csv.gz", [{"conceptUri": URI + "a", "preferredLabel": "Schweißer"}])
    out = tmp_path / "out.csv.gz"
    monkeypatch.setattr(sys, "argv", ["import", str(tmp_path), "--out", str(out)])
    importer.main()
    frame = pd.read_csv(out, dtype=str)
    rows = set(zip(frame["esco_id"], frame["lang"], frame["preferred"], frame["label"]))
    assert rows == {
        ("a", "ro", "1", "sudor/sudoare"),
        ("a", "ro", "0", "sudor"),
        ("a", "ro", "0", "sudor MIG"),
        ("b", "ar", "1", "خباز / خبازة"),
        ("b", "ar", "0", "خباز"),
        ("b", "ar", "0", "خبازة"),
    }


def test_shipped_file_has_every_language_with_preferred_labels(reference: ReferenceData) -> None:
    frame = reference.esco_labels_multilingual
    preferred = frame.loc[frame["preferred"]]
    counts = preferred.groupby("lang")["esco_id"].nunique()
    assert len(counts) == 26 and "de" not in counts.index
    assert counts.min() == 2942
