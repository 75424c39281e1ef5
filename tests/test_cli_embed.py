"""``matcher embed``: one float32 L2-normalised row per input line, in input order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from training.cli import app, read_lines

LINES = ["Altenpfleger/in", "Kfz-Mechatroniker", "", "Verkäuferin im Einzelhandel", "Koch"]


@pytest.fixture()
def env(default_encoder_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MATCHER_ENCODER", str(default_encoder_dir))
    return tmp_path


def _embed(folder: Path, lines: list[str], name: str) -> np.ndarray:
    source, target = folder / f"{name}.txt", folder / f"{name}.npy"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["embed", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.output
    return np.load(target)


def test_embed_contract(env: Path) -> None:
    vectors = _embed(env, LINES, "a")
    assert vectors.shape[0] == len(LINES)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    order = [3, 0, 4, 2, 1]
    shuffled = _embed(env, [LINES[i] for i in order], "b")
    np.testing.assert_allclose(shuffled, vectors[order], atol=1e-6)


def test_missing_input_is_one_line_error(env: Path) -> None:
    missing = env / "nope.txt"
    result = CliRunner().invoke(app, ["embed", "--input", str(missing), "--output", "x.npy"])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: input file not found: {missing}"


@pytest.mark.parametrize(
    ("text", "lines"),
    [("", []), ("a\n", ["a"]), ("a", ["a"]), ("a\n\nb\n", ["a", "", "b"]), ("a\r\nb", ["a", "b"])],
)
def test_read_lines(tmp_path: Path, text: str, lines: list[str]) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(text.encode())
    assert read_lines(path) == lines
