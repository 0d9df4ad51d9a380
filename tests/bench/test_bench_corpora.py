"""The benchmark's corpora: built from every document of the development corpus,
deterministic, and every variant parses like its original with the right origins."""

from __future__ import annotations

import re
import tomllib
from collections import Counter

import helpers
import pytest

from eval.bench.corpora import (
    build_corpus,
    changed,
    check_parse,
    original,
    originals,
    synthesize,
)
from eval.bench.devcorpus import BASE_DOC_ID, documents
from ingest.load import load_path
from ingest.parse import SECTION_SEP, ParsedDocument
from ingest.pipeline import prepare

# The development corpus's documents, and a size big enough for two variants of each.
ORIGINALS = len(documents())
SIZE = 3 * ORIGINALS
_MARKER = re.compile(
    r"^(?:#{1,6}\s+)?(?:([一二三四五六七八九十]+)、|[（(]([一二三四五六七八九十]+)[）)]"
    r"|(\d{1,2})[.、．](?!\d)|[（(](\d{1,2})[）)])"
)


@pytest.fixture(scope="module")
def corpus() -> list:
    return build_corpus(SIZE)


def test_size_one_is_the_bundled_speech_alone() -> None:
    [doc] = build_corpus(1)
    assert doc.doc_id == doc.original == BASE_DOC_ID == helpers.SPEECH_ID
    assert doc.text == helpers.SPEECH_PATH.read_text(encoding="utf-8")
    assert doc.origin == tuple(range(1, 19))
    assert doc.loaded().source == str(load_path(helpers.SPEECH_PATH, 10**8).source)


def test_the_originals_come_first_through_the_normal_loader(corpus: list) -> None:
    manifest = documents()
    listed = tomllib.loads((helpers.ROOT / "eval" / "corpus" / "manifest.toml").read_text("utf-8"))
    assert len(manifest) == len(originals()) == len(listed["document"])
    first = corpus[: len(manifest)]
    assert first[0].doc_id == BASE_DOC_ID
    assert {d.doc_id for d in first} == {d.doc_id for d in manifest}
    for doc in first:
        entry = next(d for d in manifest if d.doc_id == doc.doc_id)
        loaded = load_path(entry.path, 10**8)
        assert doc.is_original and doc.original == doc.doc_id
        assert doc.text == loaded.text and doc.loaded().format == loaded.format
        # The loader's naming gives the manifest id back.
        assert prepare(doc.loaded()).doc_id == doc.doc_id
        assert doc.origin == tuple(range(1, len(prepare(loaded).paragraphs) + 1))
    assert {d.loaded().format for d in first} == {"txt", "md", "docx"}


def test_variants_go_round_robin_over_the_originals(corpus: list) -> None:
    origs = [d.doc_id for d in originals()]
    variants = corpus[len(origs) :]
    assert [d.original for d in variants] == [origs[i % len(origs)] for i in range(len(variants))]
    assert [d.doc_id for d in variants[: len(origs)]] == [f"{o}-v0001" for o in origs]
    assert variants[len(origs)].doc_id == f"{origs[0]}-v0002"
    # A variant keeps its original's format and is named after its id.
    for doc in variants:
        loaded = doc.loaded()
        assert loaded.format == original(doc.original).loaded().format
        assert prepare(loaded).doc_id == doc.doc_id
    assert len({d.doc_id for d in corpus}) == len({d.text for d in corpus}) == SIZE


def test_same_seed_same_corpus_other_seed_other_text(corpus: list) -> None:
    again = build_corpus(SIZE)
    assert [d.text for d in again] == [d.text for d in corpus]
    assert [d.origin for d in again] == [d.origin for d in corpus]
    assert build_corpus(5) == corpus[:5]
    for d in originals():
        assert synthesize(d.doc_id, 3, seed=1).text != synthesize(d.doc_id, 3, seed=2).text


def test_every_variant_parses_like_its_original(corpus: list) -> None:
    for doc in corpus[ORIGINALS:]:
        assert check_parse(doc) == [], doc.doc_id
        base = prepare(original(doc.original).loaded())
        parsed = prepare(doc.loaded())
        assert len(parsed.paragraphs) == len(base.paragraphs), doc.doc_id
        assert sorted(doc.origin) == list(range(1, len(base.paragraphs) + 1))


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[\d.]+", "0", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _similarity(x: set[str], y: set[str]) -> float:
    return len(x & y) / max(1, len(x | y))


def test_origins_point_at_the_paragraph_each_came_from(corpus: list) -> None:
    """Independent of the generator: a variant's paragraph is closer to its origin
    than to any other paragraph of the original (character bigrams, numbers masked)."""
    bigrams = {d.doc_id: [_bigrams(p) for p in d.paragraphs()] for d in originals()}
    for doc in corpus[ORIGINALS:]:
        base = bigrams[doc.original]
        for text, n in zip(doc.paragraphs(), doc.origin, strict=True):
            own = _bigrams(text)
            scores = [_similarity(own, other) for other in base]
            assert scores[n - 1] == max(scores), (doc.doc_id, n, text[:30])
            assert scores[n - 1] > 0.3, (doc.doc_id, n, text[:30])


def _numbering(parsed: ParsedDocument) -> dict[tuple[str, str], list[int]]:
    """Outline marker numbers by (parent section, style), in document order."""
    out: dict[tuple[str, str], list[int]] = {}
    cn = "一二三四五六七八九十"
    for p in parsed.paragraphs:
        m = _MARKER.match(p.text)
        if not m or not p.section:
            continue
        style = next(i for i, g in enumerate(m.groups()) if g)
        num = m.group(style + 1)
        value = int(num) if num.isdigit() else cn.index(num[-1]) + 1 + 10 * (len(num) > 1)
        parent = SECTION_SEP.join(p.section.split(SECTION_SEP)[:-1])
        out.setdefault((parent, str(style)), []).append(value)
    return out


def _consecutive(groups: dict[tuple[str, str], list[int]]) -> bool:
    return all(v == list(range(v[0], v[0] + len(v))) for v in groups.values())


def test_sections_move_and_their_markers_follow(corpus: list) -> None:
    moved = set()
    for doc in corpus[ORIGINALS:]:
        base = _numbering(prepare(original(doc.original).loaded()))
        got = _numbering(prepare(doc.loaded()))
        if doc.origin != tuple(range(1, len(doc.origin) + 1)):
            moved.add(doc.original)
        # The same numbered groups (style and length) under the same kind of parents…
        assert sorted((k[1], len(v)) for k, v in got.items()) == sorted(
            (k[1], len(v)) for k, v in base.items()
        ), doc.doc_id
        # …and where the original numbers each group 1, 2, 3…, so does the variant.
        if _consecutive(base):
            assert _consecutive(got), doc.doc_id
        # The opening (title, salutation) stays first.
        assert doc.origin[0] == 1
    # Documents with an outline (一、/（一）/1./（1）, Markdown headings) get shuffled.
    assert {
        BASE_DOC_ID,
        "discipline-2024-county",
        "gov-report-2024",
        "discipline-2023-warning",
        "notice-2024-flood",
        "economy-2025-conference",
    } <= moved


def test_bundled_speech_variants_keep_its_outline(corpus: list) -> None:
    for doc in [d for d in corpus if d.original == BASE_DOC_ID][1:]:
        assert doc.origin[:5] == (1, 2, 3, 4, 5) and doc.origin[-1] == 18
        level1 = [p[0] for p in doc.paragraphs() if re.match(r"^[一二三]、", p)]
        assert level1 == ["一", "二", "三"]


def _years(text: str) -> list[int]:
    return sorted({int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})年", text)})


def test_numbers_and_dates_are_substituted_consistently(corpus: list) -> None:
    for doc in corpus[ORIGINALS:]:
        before, after = _years(original(doc.original).text), _years(doc.text)
        # Every year moves by the same amount: the gaps between them stay.
        assert len(after) == len(before), doc.doc_id
        if before:
            shift = after[0] - before[0]
            assert [y - shift for y in after] == before, doc.doc_id
        assert all(1 <= int(m) <= 12 for m in re.findall(r"(?<![\d.])(\d+)月", doc.text))
        assert all(1 <= int(d) <= 31 for d in re.findall(r"(?<![\d.])(\d+)[日号]", doc.text))
    # Numbers change in most variants of a document full of figures.
    figures = [d for d in corpus[ORIGINALS:] if d.original == "gov-report-2024"]
    base_numbers = Counter(re.findall(r"\d+", original("gov-report-2024").text))
    for doc in figures:
        assert Counter(re.findall(r"\d+", doc.text)) != base_numbers


def test_place_names_and_level_are_substituted(corpus: list) -> None:
    for doc in corpus[ORIGINALS:]:
        if doc.original in ("gov-report-2024", "notice-2024-flood", "safety-2024-meeting"):
            assert "临江" not in doc.text, doc.doc_id  # the made-up city of these documents
    # The level a document speaks for (全县, 县委…) is redrawn for the whole document.
    county = [d for d in corpus[ORIGINALS:] if d.original == "discipline-2024-county"]
    assert any("全县" not in d.text and "县委" not in d.text for d in county)
    # The redacted names (**) of the bundled speech become a place name.
    redacted = re.compile(r"(?<!\*)\*\*(?!\*)")
    assert redacted.search(original(BASE_DOC_ID).text)
    assert not any(redacted.search(d.text) for d in corpus[ORIGINALS:] if d.original == BASE_DOC_ID)


def test_changed_edits_exactly_one_paragraph(corpus: list) -> None:
    for doc in (corpus[3], corpus[-1]):
        edit = changed(doc)
        assert edit.doc_id == doc.doc_id and edit.original == doc.original
        before, after = doc.paragraphs(), edit.paragraphs()
        assert len(before) == len(after)
        assert sum(x != y for x, y in zip(before, after, strict=True)) == 1
        assert prepare(edit.loaded()).doc_id == doc.doc_id
