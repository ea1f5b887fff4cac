"""How the transfer engine hands objects to its workers (storage/transfer.py)."""

from __future__ import annotations

from gitmodel.storage.transfer import BATCH_MAX_BYTES, BATCH_MAX_OBJECTS, batches

MiB = 2**20


def oids(n: int) -> list[str]:
    return [f"{i:064x}" for i in range(n)]


def test_every_object_is_handed_out_once_in_order() -> None:
    sizes = {oid: (i * 37) % (6 * MiB) for i, oid in enumerate(oids(5000))}
    groups = batches(sizes, workers=8)
    assert [o for g in groups for o in g] == list(sizes)


def test_large_objects_and_objects_of_unknown_size_go_alone() -> None:
    sizes = dict.fromkeys(oids(300), 1000)
    big, unknown = f"{10**6:064x}", f"{10**6 + 1:064x}"
    sizes[big] = BATCH_MAX_BYTES
    sizes[unknown] = -1
    groups = batches(sizes, workers=4)
    assert [big] in groups and [unknown] in groups


def test_many_small_objects_go_in_batches_that_keep_every_worker_busy() -> None:
    groups = batches(dict.fromkeys(oids(10_000), 8 * 1024), workers=8)
    assert max(map(len, groups)) == BATCH_MAX_OBJECTS
    assert all(sum(8 * 1024 for _ in g) <= BATCH_MAX_BYTES for g in groups)
    few = batches(dict.fromkeys(oids(40), 8 * 1024), workers=8)
    assert len(few) == 40  # fewer objects than 4 per worker: one each, all workers busy
