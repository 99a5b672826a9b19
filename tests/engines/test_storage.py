"""The results folder: partitions replaced atomically, one writer at a time."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

import pytest

from opwatch.engines.storage import ResultStore
from opwatch.errors import EngineError

DAY = date(2026, 10, 1)


def staged(store: ResultStore, text: str) -> Path:
    folder = store.root / ".staging" / "test"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{text}.parquet"
    path.write_text(text)
    return path


def test_publishing_replaces_the_partition_and_leaves_no_staged_file(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    first = staged(store, "first")
    store.publish_partition("t_scalar", DAY, first)
    second = staged(store, "second")
    store.publish_partition("t_scalar", DAY, second)
    assert store.partition_file("t_scalar", DAY).read_text() == "second"
    assert not first.exists() and not second.exists()
    assert store.partitions("t_scalar") == [DAY]
    store.publish_partition("t_scalar", DAY, None)
    assert store.partitions("t_scalar") == [] and not store.has_table("t_scalar")


def test_a_reader_holding_the_old_file_keeps_reading_it(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.publish_partition("t", DAY, staged(store, "old"))
    with store.partition_file("t", DAY).open() as reader:
        store.publish_partition("t", DAY, staged(store, "new"))
        assert reader.read() == "old"
    assert store.partition_file("t", DAY).read_text() == "new"


def _hold_lock(
    root: Path, ready: multiprocessing.synchronize.Event, done: multiprocessing.synchronize.Event
) -> None:
    with ResultStore(root).writer_lock():
        ready.set()
        done.wait(10)


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    ready, done = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(tmp_path, ready, done))
    holder.start()
    try:
        assert ready.wait(10)
        with (
            pytest.raises(EngineError, match="another opwatch process"),
            ResultStore(tmp_path).writer_lock(),
        ):
            pass
    finally:
        done.set()
        holder.join(10)
    with ResultStore(tmp_path).writer_lock():  # free again
        pass


def test_taking_the_lock_removes_staging_left_by_a_killed_run(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    leftover = staged(store, "half-written")
    with store.writer_lock():
        assert not leftover.exists()


def test_every_publish_gives_the_table_a_new_version(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    assert store.version("t_scalar") is None
    store.publish_partition("t_scalar", DAY, staged(store, "first"))
    first = store.version("t_scalar")
    assert first is not None and store.version("t_scalar") == first  # stable while unchanged
    store.publish_partition("t_scalar", DAY, staged(store, "second"))
    second = store.version("t_scalar")
    store.publish_partition("t_scalar", DAY, None)
    assert len({first, second, store.version("t_scalar")}) == 3
    store.publish_table("projects", staged(store, "whole"))
    assert store.version("projects") is not None
    assert not list((tmp_path / "tables" / "t_scalar").glob(".changes.*"))  # no staged token
