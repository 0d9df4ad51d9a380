"""The synthetic corpus generator: deterministic, documents differ, and every
variant still parses into the bundled speech's numbered outline."""

from __future__ import annotations

import re

import helpers

from eval.bench.corpora import (
    BASE_DOC_ID,
    base_document,
    build_corpus,
    changed,
    check_parse,
    synthesize,
)
from ingest.parse import parse
from ingest.pipeline import prepare

_LEVEL1 = re.compile(r"^([一二三四五六七八九十]+)、")
_LEVEL2 = re.compile(r"^（([一二三四五六七八九十]+)）")


def test_same_seed_same_corpus_other_seed_other_text() -> None:
    first = build_corpus(12)
    again = build_corpus(12)
    assert [d.text for d in first] == [d.text for d in again]
    assert [d.origin for d in first] == [d.origin for d in again]
    assert synthesize(3, seed=1).text != synthesize(3, seed=2).text


def test_document_zero_is_the_bundled_speech() -> None:
    docs = build_corpus(3)
    assert docs[0].doc_id == BASE_DOC_ID == helpers.SPEECH_ID
    assert docs[0].text == helpers.SPEECH_PATH.read_text(encoding="utf-8")
    assert docs[0].origin == tuple(range(1, 19))


def test_documents_differ_and_have_distinct_ids() -> None:
    docs = build_corpus(200)
    assert len({d.doc_id for d in docs}) == 200
    assert len({d.text for d in docs}) == 200
    # Most paragraphs differ between two variants, not only the numbers.
    a, b = docs[1].paragraphs(), docs[2].paragraphs()
    assert sum(x != y for x, y in zip(a, b, strict=True)) >= len(a) // 2
    # Loading gives the doc_id back through the real loader's naming (file stem).
    assert all(prepare(d.loaded()).doc_id == d.doc_id for d in docs[:20])


def test_variants_keep_a_valid_numbered_outline() -> None:
    base = parse(base_document().text, "txt", BASE_DOC_ID, BASE_DOC_ID)
    for doc in build_corpus(60)[1:]:
        assert check_parse(doc) == [], doc.doc_id
        paragraphs = doc.paragraphs()
        assert sorted(doc.origin) == list(range(1, len(base.paragraphs) + 1))
        # Salutation and introduction first, the closing last: only sections move.
        assert doc.origin[:5] == (1, 2, 3, 4, 5) and doc.origin[-1] == 18
        # 一、二、三、 in order, and （一）（二）（三） restart under each main heading.
        level1 = [m.group(1) for p in paragraphs if (m := _LEVEL1.match(p))]
        assert level1 == ["一", "二", "三"]
        sub: list[str] = []
        for p in paragraphs:
            if _LEVEL1.match(p):
                assert sub in ([], ["一", "二", "三"])
                sub = []
            elif m := _LEVEL2.match(p):
                sub.append(m.group(1))
        assert sub == ["一", "二", "三"]
        # A heading moved with its own subsections.
        parsed = parse(doc.text, "txt", doc.doc_id, doc.doc_id)
        for p in parsed.paragraphs:
            origin = base.paragraphs[doc.origin[p.n - 1] - 1]
            assert p.kind == origin.kind
            if origin.section:
                # Same section titles apart from the renumbered marker and substitutions.
                assert len(p.section.split(" › ")) == len(origin.section.split(" › "))


def test_years_are_shifted_consistently_within_a_document() -> None:
    for doc in build_corpus(30)[1:]:
        years = sorted({int(y) for y in re.findall(r"((?:19|20)\d{2})年", doc.text)})
        # The speech names last year and this year: a variant keeps them one apart.
        assert len(years) == 2 and years[1] - years[0] == 1, (doc.doc_id, years)


def test_changed_edits_exactly_one_paragraph() -> None:
    doc = build_corpus(4)[3]
    edit = changed(doc)
    assert edit.doc_id == doc.doc_id
    before, after = doc.paragraphs(), edit.paragraphs()
    assert len(before) == len(after)
    assert sum(x != y for x, y in zip(before, after, strict=True)) == 1
