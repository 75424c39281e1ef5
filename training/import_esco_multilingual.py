"""Copy ESCO's occupation labels in other languages into ``data/reference/`` as one compact file.

The shared folder holds the ESCO portal's CSV downloads, one per language (26 at v1.0.8, Arabic
preferred labels at v1.0.3; see ``data/reference/SOURCES.md``). The encoder needs only the labels,
tied to the occupation's ESCO id, so this keeps those: one row per (ESCO id, language, label),
``preferred`` 1 for the preferred label. German is left out (the project's German ESCO is v1.2).
Arabic preferred labels are written "male / female": both halves are kept as labels of their own.

Run: ``python -m training.import_esco_multilingual SRC_DIR [--out FILE]``. A language added later
(Ukrainian, Russian, Turkish: no licence-clear parallel data yet) is one more ``occupations_<lang>_*``
file in ``SRC_DIR`` with the same columns.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

from matcher.records.reference import DEFAULT_REFERENCE_DIR, esco_id

OUT_NAME = "esco_occupation_labels_multilingual.csv.gz"
_FILE = re.compile(r"occupations_([a-z]{2,3})_v[\d.]+\.csv(?:\.gz)?$")


def language_labels(path: Path, lang: str) -> pd.DataFrame:
    """One language file's labels: esco_id, lang, preferred (0/1), label (duplicates dropped)."""
    raw = pd.read_csv(path, dtype=str)
    rows: list[tuple[str, str, int, str]] = []
    for uri, pref, alts in zip(raw["conceptUri"], raw["preferredLabel"], raw.get("altLabels", [None] * len(raw))):
        label = " ".join(str(pref).split())
        rows.append((esco_id(uri), lang, 1, label))
        halves = [h.strip() for h in label.split(" / ")] if lang == "ar" else []
        rows += [(esco_id(uri), lang, 0, h) for h in halves if len(halves) > 1 and h]
        if isinstance(alts, str):
            rows += [(esco_id(uri), lang, 0, " ".join(a.split())) for a in alts.split("\n") if a.strip()]
    frame = pd.DataFrame(rows, columns=["esco_id", "lang", "preferred", "label"])
    return frame.drop_duplicates(["esco_id", "label"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of occupations_<lang>_v<version>.csv.gz files")
    parser.add_argument("--out", type=Path, default=DEFAULT_REFERENCE_DIR / OUT_NAME)
    args = parser.parse_args()
    parts = []
    for path in sorted(args.source.iterdir()):
        match = _FILE.search(path.name)
        if match and match.group(1) != "de":
            parts.append(language_labels(path, match.group(1)))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["lang", "esco_id", "preferred"], ascending=[True, True, False], kind="stable")
    frame.to_csv(args.out, index=False, compression={"method": "gzip", "compresslevel": 9, "mtime": 0})
    print(f"{len(frame)} labels in {frame['lang'].nunique()} languages -> {args.out}")


if __name__ == "__main__":
    main()
