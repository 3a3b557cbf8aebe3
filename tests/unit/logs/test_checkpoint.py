from __future__ import annotations

import time
from pathlib import Path

from osmon.logs.checkpoint import CheckpointRegistry, FileCheckpoint


def cp(inode: int, offset: int, path: str = "/var/log/a.log") -> FileCheckpoint:
    return FileCheckpoint(1, inode, "fp", 10, path, offset)


def test_positions_survive_reopening(tmp_path: Path) -> None:
    reg = CheckpointRegistry(tmp_path / "cp.db")
    reg.commit("logs", [cp(7, 100), cp(8, 5, "/var/log/b.log")])
    reg.commit("logs", [cp(7, 250)])
    reg.close()
    reg = CheckpointRegistry(tmp_path / "cp.db")
    got = reg.get("logs", 1, 7)
    assert got is not None and (got.offset, got.fingerprint, got.head_len) == (250, "fp", 10)
    assert [c.inode for c in reg.files("logs")] == [7, 8]
    reg.close()


def test_sources_do_not_share_positions(tmp_path: Path) -> None:
    reg = CheckpointRegistry(tmp_path / "cp.db")
    reg.commit("logs", [cp(7, 100)])
    assert reg.get("ship", 1, 7) is None
    reg.forget("logs", 1, 7)
    assert reg.get("logs", 1, 7) is None
    reg.close()


def test_prune_drops_only_stale_rows_not_kept(tmp_path: Path) -> None:
    reg = CheckpointRegistry(tmp_path / "cp.db")
    reg.commit("logs", [cp(1, 1), cp(2, 2), cp(3, 3)])
    assert reg.prune("logs", time.time() + 10, keep=[(1, 2)]) == 2
    assert [c.inode for c in reg.files("logs")] == [2]
    assert reg.prune("logs", time.time() - 3600, keep=[]) == 0
    reg.close()


def test_journal_cursor_round_trip(tmp_path: Path) -> None:
    reg = CheckpointRegistry(tmp_path / "cp.db")
    assert reg.cursor("journald") is None
    reg.set_cursor("journald", "s=abc;i=1")
    reg.set_cursor("journald", "s=abc;i=2")
    reg.close()
    reg = CheckpointRegistry(tmp_path / "cp.db")
    assert reg.cursor("journald") == "s=abc;i=2"
    reg.close()


def test_database_is_in_wal_mode(tmp_path: Path) -> None:
    reg = CheckpointRegistry(tmp_path / "cp.db")
    reg.commit("logs", [cp(1, 1)])
    assert (tmp_path / "cp.db-wal").exists()
    reg.close()


def test_sources_opening_one_new_registry_at_once_do_not_collide(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "cp.db"

    def open_and_write(i: int) -> int:
        reg = CheckpointRegistry(path)
        reg.set_cursor(f"s{i}", str(i))
        reg.commit(f"s{i}", [cp(i, i)])
        reg.close()
        return i

    with ThreadPoolExecutor(6) as pool:
        assert sorted(pool.map(open_and_write, range(6))) == list(range(6))
    reg = CheckpointRegistry(path)
    assert [reg.cursor(f"s{i}") for i in range(6)] == [str(i) for i in range(6)]
    reg.close()
