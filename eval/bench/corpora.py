"""Synthetic corpora: N speeches derived from the bundled one with a fixed seed.

Document 0 is the bundled speech itself (so the question set keeps its gold
paragraphs); document i > 0 is a variant of it: its three main sections and
the subsections inside each are shuffled and renumbered (一、二、三、 and
（一）（二）（三） follow the new order, so the outline still parses), and numbers,
years, the redacted place names (``**``), the unit (市直) and a few interchangeable
adverbs (drawn per paragraph) are substituted. Every variant is real Chinese text with
the same paragraph and sentence structure as the original, and each remembers
which original paragraph each of its paragraphs came from (``origin``), which is
how a hit in a variant is scored and how precomputed vectors are looked up.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from ingest.load import LoadedDocument
from ingest.parse import parse
from ingest.pipeline import default_speech_path

SEED = 20230
BASE_DOC_ID = "speech-2023-party-discipline"
_CN_DIGITS = "一二三四五六七八九十"
_LEVEL1 = re.compile(r"^[一二三四五六七八九十]+、")
_LEVEL2 = re.compile(r"^（[一二三四五六七八九十]+）")
_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?=年)")
_NUMBER = re.compile(r"(?<!\d)\d{1,3}(?!\d)(?!年)")
_REDACTED_PLACE = re.compile(r"(?<!\*)\*\*(?!\*)")
PLACES = (
    "临江", "青州", "云阳", "安平", "丰城", "长宁", "永安", "东川", "白石", "兴隆",
    "清河", "南屏", "望海", "平遥", "凤翔", "金溪", "宁远", "海阳", "武陵", "高平",
)  # fmt: skip
# The unit a speech is given to: one choice per document.
UNITS = (
    ("市直", "省直", "区直", "县直", "州直"),
    ("局党组", "委党组", "厅党组", "办党组"),
    ("全系统", "全行业", "全单位"),
)
# Words that can stand for one another in the speech's sentences: drawn anew for
# every paragraph, so that most paragraphs differ between any two documents.
SWAPS = (
    ("切实", "务必", "着力"),
    ("深入", "扎实", "认真"),
    ("持续", "不断"),
    ("更加", "更为"),
    ("加强", "强化"),
    ("推进", "推动"),
    ("提升", "提高"),
    ("坚决", "坚定"),
    ("始终", "一直"),
    ("严肃", "严格"),
    ("进一步", "更进一步"),
    ("我们", "咱们"),
    ("必须", "一定要"),
    ("各级", "各层级"),
)


@dataclass(frozen=True)
class SyntheticDoc:
    doc_id: str
    text: str
    origin: tuple[int, ...]  # origin[n-1]: the bundled speech's ¶ that ¶n comes from

    @property
    def source(self) -> str:
        return f"{self.doc_id}.txt"

    def loaded(self) -> LoadedDocument:
        """The document as the loader would give it (a UTF-8 .txt named after its id)."""
        return LoadedDocument(
            text=self.text, format="txt", title=self.doc_id, source=self.source, encoding="utf-8"
        )

    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.text.split("\n") if line.strip()]


@cache
def base_document() -> SyntheticDoc:
    text = default_speech_path().read_text(encoding="utf-8")
    n = len([line for line in text.split("\n") if line.strip()])
    return SyntheticDoc(BASE_DOC_ID, text, tuple(range(1, n + 1)))


@dataclass(frozen=True)
class _Outline:
    head: list[int]  # ¶ before the first main section (salutation, introduction)
    sections: list[tuple[int, list[int]]]  # (heading ¶, its subsection ¶s)
    tail: list[int]  # the closing (from the closing salutation on)


def _outline(paragraphs: list[str]) -> _Outline:
    head: list[int] = []
    sections: list[tuple[int, list[int]]] = []
    tail: list[int] = []
    for n, text in enumerate(paragraphs, start=1):
        if tail or (sections and not _LEVEL1.match(text) and not _LEVEL2.match(text)):
            tail.append(n)  # the closing: nothing after it is reordered
        elif _LEVEL1.match(text):
            sections.append((n, []))
        elif sections:
            sections[-1][1].append(n)
        else:
            head.append(n)
    return _Outline(head, sections, tail)


def _renumber(text: str, pattern: re.Pattern[str], position: int) -> str:
    numeral = _CN_DIGITS[position] if position < len(_CN_DIGITS) else str(position + 1)
    marker = pattern.match(text)
    if marker is None:
        return text
    new = f"{numeral}、" if pattern is _LEVEL1 else f"（{numeral}）"
    return new + text[marker.end() :]


class _Substitution:
    """One document's choices, drawn once so that a year or a place reads the same
    in every paragraph of that document."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.shift = rng.randint(-12, 2)
        self.place = rng.choice(PLACES)
        self.units = [(group, rng.choice(group)) for group in UNITS]
        self.numbers: dict[str, str] = {}

    def _number(self, m: re.Match[str]) -> str:
        old = m.group(0)
        if old not in self.numbers:
            value = int(old)
            new = (
                max(1, round(value * self.rng.uniform(0.5, 2.0)))
                if value > 3
                else self.rng.randint(1, 5)
            )
            self.numbers[old] = str(new)
        return self.numbers[old]

    def __call__(self, text: str) -> str:
        text = _YEAR.sub(lambda m: str(int(m.group(0)) + self.shift), text)
        text = _NUMBER.sub(self._number, text)
        text = _REDACTED_PLACE.sub(self.place, text)
        for group, pick in self.units:
            text = _swap(text, group, pick)
        for words in SWAPS:
            text = _swap(text, words, self.rng.choice(words))
        return text


def _swap(text: str, group: tuple[str, ...], pick: str) -> str:
    # Longest first, so that 更进一步 is not read as 进一步.
    words = sorted(group, key=len, reverse=True)
    return re.sub("|".join(map(re.escape, words)), pick, text)


def synthesize(i: int, seed: int = SEED) -> SyntheticDoc:
    """Variant ``i`` (≥ 1) of the bundled speech; the same (i, seed) always gives the same text."""
    base = base_document()
    paragraphs = base.paragraphs()
    outline = _outline(paragraphs)
    rng = random.Random(f"{seed}:{i}")
    sections = list(outline.sections)
    rng.shuffle(sections)
    order: list[int] = list(outline.head)
    lines: list[str] = [paragraphs[n - 1] for n in outline.head]
    for s_pos, (heading, subs) in enumerate(sections):
        order.append(heading)
        lines.append(_renumber(paragraphs[heading - 1], _LEVEL1, s_pos))
        subs = list(subs)
        rng.shuffle(subs)
        for p_pos, n in enumerate(subs):
            order.append(n)
            lines.append(_renumber(paragraphs[n - 1], _LEVEL2, p_pos))
    order += outline.tail
    lines += [paragraphs[n - 1] for n in outline.tail]
    substitute = _Substitution(rng)
    text = "\n".join(substitute(line) for line in lines) + "\n"
    return SyntheticDoc(f"synthetic-{i:05d}", text, tuple(order))


def build_corpus(size: int, seed: int = SEED) -> list[SyntheticDoc]:
    """The bundled speech and ``size - 1`` variants, all with distinct texts."""
    return list(iter_corpus(size, seed))


def iter_corpus(size: int, seed: int = SEED) -> Iterator[SyntheticDoc]:
    seen: set[str] = set()
    if size < 1:
        return
    base = base_document()
    seen.add(_digest(base.text))
    yield base
    for i in range(1, size):
        attempt = 0
        while True:
            doc = synthesize(i, seed if attempt == 0 else seed * 1000 + attempt)
            digest = _digest(doc.text)
            if digest not in seen:
                break
            attempt += 1  # two variants drew the same choices: draw again, deterministically
        seen.add(digest)
        yield SyntheticDoc(f"synthetic-{i:05d}", doc.text, doc.origin)


def changed(doc: SyntheticDoc) -> SyntheticDoc:
    """``doc`` with one body paragraph edited (a sentence appended), for re-ingest."""
    lines = doc.text.split("\n")
    nonempty = [k for k, line in enumerate(lines) if line.strip()]
    target = nonempty[len(nonempty) // 2]
    lines[target] = lines[target].rstrip() + "这一条是本次修订时补充的内容。"
    return SyntheticDoc(doc.doc_id, "\n".join(lines), doc.origin)


def check_parse(doc: SyntheticDoc) -> list[str]:
    """Problems of a variant's structure (empty list when it parses like the original)."""
    problems: list[str] = []
    base = parse(base_document().text, "txt", BASE_DOC_ID, BASE_DOC_ID)
    parsed = parse(doc.text, "txt", doc.doc_id, doc.doc_id)
    if len(parsed.paragraphs) != len(base.paragraphs):
        problems.append(f"{len(parsed.paragraphs)} paragraphs, not {len(base.paragraphs)}")
        return problems
    for p in parsed.paragraphs:
        o = base.paragraphs[doc.origin[p.n - 1] - 1]
        if p.kind != o.kind:
            problems.append(f"¶{p.n} is {p.kind}, its origin ¶{o.n} is {o.kind}")
        if p.section.count("›") != o.section.count("›"):
            problems.append(f"¶{p.n} section depth differs from its origin ¶{o.n}")
    return problems


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
