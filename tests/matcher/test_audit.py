import json
from pathlib import Path

from matcher.audit import AuditEntry, AuditLog, verify


def entry(query: str = "S-1") -> AuditEntry:
    return AuditEntry(role="caseworker", token_id="cw-1", endpoint="/v1/candidates/{id}/vacancies",
                      query_id=query, items=[("V-1", 0.91), ("V-2", 0.5)],
                      model_version="3", index_version="2026-11-25T10:00:00")  # fmt: skip


def test_chain_verifies(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log")
    records = [log.append(entry(f"S-{i}")) for i in range(5)]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[1]["prev_hash"] == records[0]["hash"]
    result = verify(log.path)
    assert result.ok and result.records == 5


def test_modified_record_is_detected(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log")
    for i in range(4):
        log.append(entry(f"S-{i}"))
    lines = log.path.read_text().splitlines()
    record = json.loads(lines[2])
    record["items"][0]["score"] = 0.99
    lines[2] = json.dumps(record)
    log.path.write_text("\n".join(lines) + "\n")
    result = verify(log.path)
    assert not result.ok and result.first_bad_line == 3 and "modified" in result.reason


def test_removed_record_is_detected(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log")
    for i in range(3):
        log.append(entry(f"S-{i}"))
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    result = verify(log.path)
    assert not result.ok and result.first_bad_line == 2


def test_records_hold_ids_and_scores_only(tmp_path: Path) -> None:
    record = AuditLog(tmp_path / "a.log").append(entry())
    assert set(record) == {"seq", "time", "role", "token_id", "endpoint", "query_id", "items",
                           "model_version", "index_version", "prev_hash", "hash"}  # fmt: skip
