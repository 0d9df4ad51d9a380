"""The vector file (ingest.vectorfile): vectors by text hash in a SQLite file."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from ingest import vectorfile
from ingest.vectorfile import VectorFile
from speechqa.errors import EmbedderMismatchError, StoreError
from speechqa.settings import Settings


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_vectors_round_trip_by_full_hash_or_its_prefix(tmp_path: Path) -> None:
    file = VectorFile(tmp_path / "v.sqlite3", "m", 4)
    a, b = np.arange(4, dtype=np.float32), np.ones(4, dtype=np.float32) / 2
    file.put({_h("甲"): a, _h("乙"): b.tolist()})
    got = file.get([_h("甲"), _h("乙")[:16], _h("丙")])
    assert set(got) == {_h("甲"), _h("乙")[:16]}  # the missing text is left out
    assert got[_h("甲")].tolist() == a.tolist()
    assert got[_h("乙")[:16]].dtype == np.float32 and got[_h("乙")[:16]].tolist() == b.tolist()
    assert file.count() == 2
    assert file.keys() == {vectorfile.key_of(_h("甲")), vectorfile.key_of(_h("乙"))}
    file.delete([vectorfile.key_of(_h("甲"))])
    assert set(file.get([_h("甲"), _h("乙")])) == {_h("乙")}
    assert vectorfile.hex_of(vectorfile.key_of(_h("乙"))) == _h("乙")[:16]
    file.close()
    # Another process (here: another object) reads what was written.
    assert VectorFile(tmp_path / "v.sqlite3", "m", 4).count() == 1


def test_a_file_of_another_model_is_a_clear_error(tmp_path: Path) -> None:
    VectorFile(tmp_path / "v.sqlite3", "m", 4).put({_h("甲"): np.zeros(4)})
    for model, dim in (("other", 4), ("m", 8)):
        with pytest.raises(EmbedderMismatchError) as err:
            VectorFile(tmp_path / "v.sqlite3", model, dim).get([_h("甲")])
        assert "delete it" in str(err.value) and "v.sqlite3" in str(err.value)


def test_a_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError) as err:
        VectorFile(path, "m", 4).get([_h("甲")])
    assert "delete" in str(err.value) and str(path) in str(err.value)


def _writer(path: str, n: int) -> None:
    file = VectorFile(Path(path), "m", 4)
    for i in range(n):
        file.put({_h(f"句{i}"): np.full(4, i, dtype=np.float32)})


def test_readers_read_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    VectorFile(path, "m", 4).put({_h("句0"): np.zeros(4)})
    n = 2000
    proc = multiprocessing.get_context("spawn").Process(target=_writer, args=(str(path), n))
    proc.start()
    reader = VectorFile(path, "m", 4)
    index = {_h(f"句{i}"): i for i in range(n)}
    seen: set[int] = set()
    while proc.is_alive():
        got = reader.get(list(index))
        # Each vector read is whole: the one written for its text.
        assert all(v.tolist() == [float(index[h])] * 4 for h, v in got.items())
        seen.add(len(got))
    proc.join()
    assert proc.exitcode == 0
    assert any(1 < k < n for k in seen)  # some reads happened while the writer wrote
    assert len(reader.get(list(index))) == n


def test_where_the_file_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = Settings(store=tmp_path / "store")
    assert vectorfile.path_for(local, "k") == tmp_path / "store" / "vectors-k.sqlite3"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    server = Settings(store=tmp_path / "store", chroma_url="http://127.0.0.1:9/")
    path = vectorfile.path_for(server, "k")
    assert path.parent.parent == tmp_path / "xdg" / "speechqa" and path.name == "vectors-k.sqlite3"


def test_tokens_round_trip_per_tokenizer(tmp_path: Path) -> None:
    file = VectorFile(tmp_path / "v.sqlite3", "m", 4)
    assert file.get_tokens("jieba-a", ["h1"]) == {}
    file.put_tokens("jieba-a", {"h1": [["全面", "从严"], []], "h2": [["治党"]]})
    assert file.get_tokens("jieba-a", ["h1", "h3"]) == {"h1": [["全面", "从严"], []]}
    assert file.get_tokens("jieba-b", ["h1", "h2"]) == {}  # another tokenizer's are not used
    assert file.token_hashes() == {"h1", "h2"}
    file.delete_tokens(["h1"])
    assert file.token_hashes() == {"h2"}


def test_vectors_are_kept_at_half_precision(tmp_path: Path) -> None:
    file = VectorFile(tmp_path / "v.sqlite3", "m", 384)
    rng = np.random.default_rng(0)
    vec = rng.normal(size=384).astype(np.float32)
    vec /= np.linalg.norm(vec)
    file.put({_h("甲"): vec})
    back = file.get([_h("甲")])[_h("甲")]
    assert back.dtype == np.float32
    assert np.abs(back - vec).max() < 2e-4
    assert abs(float(np.dot(back, vec)) - 1.0) < 1e-4  # a cosine moves by about 1e-4 at most
    file.close()
    with sqlite3.connect(tmp_path / "v.sqlite3") as db:  # two bytes a number
        assert db.execute("SELECT length(v) FROM vec").fetchall() == [(384 * 2,)]


def test_a_file_written_before_half_precision_reads_as_float32(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    vec = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)
    with sqlite3.connect(path) as db:  # as the first vector files were written
        db.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT)")
        db.execute("CREATE TABLE vec (id INTEGER PRIMARY KEY, v BLOB)")
        db.execute("INSERT INTO meta VALUES ('model', 'm'), ('dimension', '4')")
        db.execute("INSERT INTO vec VALUES (?, ?)", (vectorfile.key_of(_h("甲")), vec.tobytes()))
    file = VectorFile(path, "m", 4)
    assert file.get([_h("甲")])[_h("甲")].tolist() == vec.tolist()
    file.put({_h("乙"): vec})  # and goes on writing float32
    assert file.get([_h("乙")])[_h("乙")].tolist() == vec.tolist()
