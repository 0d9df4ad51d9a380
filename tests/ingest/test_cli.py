"""The ``speechqa`` console script in a subprocess: ingest, docs, show, bad input.

The module shares one store, ingested once by ``ingested``; the bad-input tests run
against it and ``test_index_untouched_after_bad_inputs`` (last in the file) checks
that none of them changed it.
"""

from __future__ import annotations

import codecs
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import SPEECH_ID, SPEECH_PATH, assert_one_line_error, run_cli

from ingest.load import load_path
from ingest.parse import ParsedDocument
from ingest.pipeline import prepare

Cli = Callable[..., subprocess.CompletedProcess[str]]


@dataclass(frozen=True)
class Ingested:
    store: Path
    env: dict[str, str]
    first: subprocess.CompletedProcess[str]
    record: dict[str, Any]


@pytest.fixture(scope="module")
def speech() -> ParsedDocument:
    return prepare(load_path(SPEECH_PATH, 20_000_000))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    store = tmp_path_factory.mktemp("cli-store")
    env = {"SPEECHQA_STORE": str(store)}
    first = run_cli("ingest", "--json", env=env)
    assert first.returncode == 0, first.stderr
    docs = run_cli("docs", "--json", env=env)
    assert docs.returncode == 0, docs.stderr
    [record] = json.loads(docs.stdout)
    return Ingested(store=store, env=env, first=first, record=record)


def test_ingest_json_summary(ingested: Ingested, speech: ParsedDocument) -> None:
    summary = json.loads(ingested.first.stdout)
    assert set(summary) == {"documents", "paragraphs", "embedded", "skipped", "seconds"}
    assert summary["documents"] == 1
    assert summary["paragraphs"] == 18
    assert summary["embedded"] == len(speech.chunks())
    assert summary["skipped"] == 0
    assert isinstance(summary["seconds"], float) and summary["seconds"] > 0
    assert ingested.first.stderr == ""  # no progress-bar debris when stderr is a pipe
    assert (ingested.store / "chroma" / "chroma.sqlite3").exists()


def test_second_ingest_embeds_nothing(cli: Cli, ingested: Ingested, speech: ParsedDocument) -> None:
    proc = cli("ingest", "--json", env=ingested.env)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["documents"], summary["paragraphs"]) == (1, 18)
    assert (summary["embedded"], summary["skipped"]) == (0, len(speech.chunks()))


def test_plain_ingest_prints_a_chinese_summary(cli: Cli, ingested: Ingested) -> None:
    proc = cli("ingest", "--quiet", env=ingested.env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("documents 1, paragraphs 18, chunks embedded 0, skipped ")


def test_docs_lists_the_speech(cli: Cli, ingested: Ingested, speech: ParsedDocument) -> None:
    record = ingested.record
    assert record["doc_id"] == SPEECH_ID
    assert record["title"] == SPEECH_ID
    assert (record["format"], record["encoding"]) == ("txt", "utf-8")
    assert (record["paragraphs"], record["chunks"]) == (18, len(speech.chunks()))
    assert record["hash"] == speech.hash
    assert Path(record["source"]).name == SPEECH_PATH.name
    proc = cli("docs", env=ingested.env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"{SPEECH_ID}\t{SPEECH_ID}\t18 paragraphs\t{record['source']}"
    ]


def test_show_one_paragraph_verbatim_with_its_section(
    cli: Cli, ingested: Ingested, speech: ParsedDocument
) -> None:
    p8 = speech.paragraph(8)
    assert p8 is not None
    line8 = SPEECH_PATH.read_text(encoding="utf-8").splitlines()[7]
    assert p8.text == line8
    proc = cli("show", SPEECH_ID, "8", env=ingested.env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"¶8 [body]  〔{p8.section}〕\n{line8}\n\n"
    assert (
        p8.section.startswith("一、深入学习贯彻各级会议精神")
        and " › （二）要深刻认识" in p8.section
    )

    as_json = cli("show", SPEECH_ID, "8", "--json", env=ingested.env)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [p8.to_dict()]


def test_show_whole_document(cli: Cli, ingested: Ingested, speech: ParsedDocument) -> None:
    proc = cli("show", SPEECH_ID, env=ingested.env)
    assert proc.returncode == 0, proc.stderr
    headers = [line for line in proc.stdout.splitlines() if line.startswith("¶")]
    assert [h.split(" ", 1)[0] for h in headers] == [f"¶{n}" for n in range(1, 19)]
    assert headers[0] == "¶1 [salutation]"
    assert headers[17] == "¶18 [body]"
    for p in speech.paragraphs:
        assert f"\n{p.text}\n" in proc.stdout


def test_show_unknown_document(cli: Cli, ingested: Ingested) -> None:
    proc = cli("show", "no-such-speech", env=ingested.env)
    assert_one_line_error(proc, "no-such-speech", SPEECH_ID, code=2)
    assert proc.stdout == ""


def test_show_paragraph_out_of_range(cli: Cli, ingested: Ingested) -> None:
    proc = cli("show", SPEECH_ID, "19", env=ingested.env)
    assert_one_line_error(proc, "1–18", "19", code=2)


BAD_IDS = [
    "missing",
    "folder",
    "empty",
    "whitespace",
    "binary",
    "pdf",
    "undecodable",
    "too-big",
    "docx-not-zip",
    "broken-utf16",
    "good-then-bad",
]


def _bad_inputs(folder: Path) -> dict[str, tuple[list[str], dict[str, str], str]]:
    """case id -> (paths, extra env, name the error must contain)."""
    folder.mkdir(parents=True, exist_ok=True)

    def put(name: str, data: bytes) -> str:
        (folder / name).write_bytes(data)
        return str(folder / name)

    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    cases = {
        "missing": ([str(folder / "missing.txt")], {}, "missing.txt"),
        "folder": ([str(folder)], {}, folder.name),
        "empty": ([put("empty.txt", b"")], {}, "empty.txt"),
        "whitespace": ([put("blank.txt", " \n\t\n　\n".encode())], {}, "blank.txt"),
        "binary": ([put("image.txt", png)], {}, "image.txt"),
        "pdf": ([put("report.pdf", b"%PDF-1.7\n")], {}, "report.pdf"),
        "undecodable": ([put("latin.txt", "Café crème\n".encode("latin-1"))], {}, "latin.txt"),
        "too-big": (
            [put("big.txt", "同志们：\n".encode() * 120_000)],
            {"SPEECHQA_MAX_FILE_MB": "1"},
            "big.txt",
        ),
        "docx-not-zip": ([put("fake.docx", "这不是压缩包".encode())], {}, "fake.docx"),
        "broken-utf16": ([put("bom.txt", codecs.BOM_UTF16_LE + b"\x00\xd8")], {}, "bom.txt"),
        # A good file first: the batch is checked before anything is written.
        "good-then-bad": (
            [put("fine.txt", "新的一篇。\n".encode()), str(folder / "gone.md")],
            {},
            "gone.md",
        ),
    }
    assert list(cases) == BAD_IDS
    return cases


@pytest.mark.parametrize("case", BAD_IDS)
def test_bad_input_is_one_line_error(
    cli: Cli, ingested: Ingested, tmp_path: Path, case: str
) -> None:
    paths, env, name = _bad_inputs(tmp_path / "inputs")[case]
    # Without --quiet: the progress bar must not leave debris before the error line.
    proc = cli("ingest", *paths, env={**ingested.env, **env})
    assert_one_line_error(proc, name, code=2)
    assert proc.stdout == ""


def test_index_untouched_after_bad_inputs(cli: Cli, ingested: Ingested) -> None:
    docs = cli("docs", "--json", env=ingested.env)
    assert docs.returncode == 0, docs.stderr
    assert json.loads(docs.stdout) == [ingested.record]  # same hash, chunks, ingested_at
    show = cli("show", SPEECH_ID, "1", env=ingested.env)
    assert show.stdout == "¶1 [salutation]\n同志们：\n\n"


def test_store_flag_and_delete(cli: Cli, tmp_path: Path) -> None:
    flagged, env_store = tmp_path / "flag-store", tmp_path / "env-store"
    env = {"SPEECHQA_STORE": str(env_store)}
    small = tmp_path / "小讲话.md"
    small.write_text("# 小讲话\n同志们：\n一、要求\n要认真落实。要抓好督查。\n", encoding="utf-8")

    proc = cli("ingest", small, "--store", flagged, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["documents"], summary["paragraphs"]) == (1, 4)
    doc = prepare(load_path(small, 10**6))
    assert summary["embedded"] == len(doc.chunks())
    n_chunks = len(doc.index_chunks())  # paragraphs: sentences are not chunks in Chroma
    assert n_chunks == 4 < summary["embedded"]
    assert (flagged / "chroma").is_dir()
    assert len(list(flagged.glob("vectors-*.sqlite3"))) == 1  # every unit's vector
    assert not env_store.exists()  # the flag wins over SPEECHQA_STORE

    docs = cli("docs", "--json", "--store", flagged, env=env)
    assert [d["doc_id"] for d in json.loads(docs.stdout)] == ["小讲话"]
    show = cli("show", "小讲话", "4", "--store", flagged, env=env)
    # The salutation closes the "# 小讲话" section, so ¶4 sits under 一、要求 alone.
    assert show.stdout == "¶4 [body]  〔一、要求〕\n要认真落实。要抓好督查。\n\n"
    empty = cli("docs", env=env)
    assert empty.returncode == 0
    assert "No documents yet" in empty.stdout

    deleted = cli("ingest", "--delete", "小讲话", "--json", "--store", flagged, env=env)
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout) == {"deleted": "小讲话", "chunks": n_chunks}
    assert json.loads(cli("docs", "--json", "--store", flagged, env=env).stdout) == []
    again = cli("ingest", "--delete", "小讲话", "--store", flagged, env=env)
    assert_one_line_error(again, "小讲话", code=2)
    gone = cli("show", "小讲话", "--store", flagged, env=env)
    assert_one_line_error(gone, "小讲话", code=2)
