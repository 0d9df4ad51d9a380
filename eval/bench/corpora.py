"""Benchmark corpora: N documents built from the whole development corpus with a fixed seed.

The originals are the documents of eval/corpus/manifest.toml (.txt, .md, .docx), loaded
through the normal loader (``ingest.load.load_path``), the bundled speech first. Size 1
is the bundled speech alone; sizes up to the number of originals take the first ones;
larger sizes hold every original and then variants, round-robin over the originals
(variant k of original j is ``<original id>-v<k>``).

A variant is a rewrite of its original with the same paragraphs and sentences:

* sections are shuffled only where the outline the parser finds allows it: sibling
  sections (a heading or a lead-in paragraph with an outline marker, Markdown headings
  included, with everything under it) change places when their markers are all absent
  or all of one style numbered consecutively, and the markers follow the new order
  (一、二、… （一）（二）… 1. 2. … （1）（2）…, inside Markdown headings too), so the
  outline still parses; paragraphs that open no section (第一，…  首先，…) stay put;
* numbers are substituted: years shift together (the gaps between them stay), months
  and days stay valid dates, other numbers are redrawn (decimals keep their places);
* place names (found by jieba's part-of-speech tagger, ``ns``, in each original) and
  redacted names (``**``) become made-up names, the same one throughout a document;
* the administrative level the document speaks for (全市, 市委, 市直…: the most
  frequent of 省/市/县/区) is redrawn for the whole document;
* a few interchangeable words of official Chinese are redrawn per paragraph.

Every variant remembers its original (``original``) and, for each of its paragraphs,
the original's paragraph it came from (``origin``): that is how a hit in a variant is
scored and how precomputed vectors are looked up. A variant that would not parse like
its original (paragraph count, kinds, section depths) is drawn again without the shuffle.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache

from ingest.load import LoadedDocument, load_path
from ingest.parse import SECTION_SEP, ParsedDocument, slugify
from ingest.pipeline import prepare
from speechqa.errors import InputError

from .devcorpus import BASE_DOC_ID, documents

SEED = 20230
MAX_DOCUMENT_BYTES = 50_000_000  # the development corpus is ours: no upload limit
_CN_DIGITS = "一二三四五六七八九"
# Outline markers at the start of a paragraph (optionally inside a Markdown heading),
# by style: the number is what is renumbered after a shuffle.
_MD_PREFIX = re.compile(r"#{1,6}\s+")
_MARKERS = (
    ("cn、", re.compile(r"(?P<num>[一二三四五六七八九十]+)、")),
    ("(cn)", re.compile(r"[（(](?P<num>[一二三四五六七八九十]+)[）)]")),
    ("n.", re.compile(r"(?P<num>\d{1,2})[.、．](?!\d)")),
    ("(n)", re.compile(r"[（(](?P<num>\d{1,2})[）)]")),
)
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")
_YEAR_NEXT = "年—-–~～至到"
_REDACTED = re.compile(r"(?<!\*)\*\*(?!\*)")
_PLACE_SUFFIX = "省市县区州镇乡村"
_PLACE = re.compile(r"[\u4e00-\u9fff]{2}")
# Compounds that name the administrative level a document speaks for.
_LEVEL = re.compile(
    r"(?<=[全本我各])[省市县区]|[省市县区](?=委|直|政府|人民政府|级|属|长|纪委|人大|政协)"
)
LEVELS = ("省", "市", "县", "区")
# Made-up place names for any document (not taken from one).
PLACES = (
    "临江", "青州", "云阳", "安平", "丰城", "长宁", "永安", "东川", "白石", "兴隆",
    "清河", "南屏", "望海", "平遥", "凤翔", "金溪", "宁远", "海阳", "武陵", "高平",
)  # fmt: skip
# Words of official Chinese that can stand for one another: drawn anew for every
# paragraph, so that most paragraphs differ between any two variants.
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
# Longest first, so that 更进一步 is not read as 进一步.
_SWAP_RES = tuple(
    re.compile("|".join(map(re.escape, sorted(group, key=len, reverse=True)))) for group in SWAPS
)


@dataclass(frozen=True)
class SyntheticDoc:
    doc_id: str
    text: str
    origin: tuple[int, ...]  # origin[n-1]: the original's ¶ that ¶n comes from
    original: str  # doc_id of the development-corpus document it comes from
    template: LoadedDocument = field(compare=False, repr=False)  # the original as loaded

    @property
    def source(self) -> str:
        return f"{self.doc_id}.{self.template.format}"

    @property
    def is_original(self) -> bool:
        return self.doc_id == self.original and self.text == self.template.text

    def loaded(self) -> LoadedDocument:
        """The document as the loader gives it: the original's own load, or for a
        variant the same load (format, encoding) with the variant's text, named
        after its id."""
        if self.is_original:
            return self.template
        return replace(self.template, text=self.text, source=self.source, title=self.doc_id)

    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.text.split("\n") if line.strip()]


@cache
def originals() -> tuple[SyntheticDoc, ...]:
    """The development corpus's documents, loaded once, the bundled speech first."""
    out = []
    for d in documents():
        loaded = load_path(d.path, MAX_DOCUMENT_BYTES)
        if slugify(loaded.source) != d.doc_id:
            raise InputError(
                f"eval/corpus/manifest.toml: document id '{d.doc_id}' is not the slug of its "
                f"file name {d.path.name} ('{slugify(loaded.source)}'); rename one of them.",
                zh=f"eval/corpus/manifest.toml：文档编号 '{d.doc_id}' 不是其文件名 {d.path.name} 的 slug（'{slugify(loaded.source)}'）；请改其中之一。",
            )
        n = len(prepare(loaded).paragraphs)
        out.append(SyntheticDoc(d.doc_id, loaded.text, tuple(range(1, n + 1)), d.doc_id, loaded))
    out.sort(key=lambda doc: doc.doc_id != BASE_DOC_ID)  # stable: manifest order otherwise
    return tuple(out)


def base_document() -> SyntheticDoc:
    """The bundled speech (size 1)."""
    return originals()[0]


def original(doc_id: str) -> SyntheticDoc:
    return next(d for d in originals() if d.doc_id == doc_id)


@cache
def _parsed_original(doc_id: str) -> ParsedDocument:
    return prepare(original(doc_id).loaded())


# ---- outline: which sections may change places ------------------------------------------


def _cn_value(numeral: str) -> int:
    """一 … 九十九 (0 for anything else: such a marker is not renumbered)."""
    tens, ten, ones = numeral.partition("十")
    if not ten:
        tens, ones = "", numeral
    if len(tens) > 1 or len(ones) > 1 or any(c not in _CN_DIGITS for c in tens + ones):
        return 0
    high = (_CN_DIGITS.index(tens) + 1 if tens else 1) if ten else 0
    return high * 10 + (_CN_DIGITS.index(ones) + 1 if ones else 0)


def _cn_numeral(value: int) -> str:
    tens, ones = divmod(value, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens - 1] + "十")
    return head + (_CN_DIGITS[ones - 1] if ones else "")


@dataclass(frozen=True)
class _Marker:
    style: str
    value: int
    start: int  # where the number is in the line
    end: int
    body: int  # where the text after the marker (and any Markdown prefix) starts


def _marker(line: str) -> _Marker | None:
    md = _MD_PREFIX.match(line)
    at = md.end() if md else 0
    for style, pattern in _MARKERS:
        m = pattern.match(line, at)
        if m:
            num = m.group("num")
            value = int(num) if num.isdigit() else _cn_value(num)
            return _Marker(style, value, m.start("num"), m.end("num"), m.end())
    return None


def _protected(line: str) -> int:
    """Length of the line's leading outline marker (and Markdown prefix): substitutions
    leave it alone."""
    marker = _marker(line)
    if marker is not None:
        return marker.body
    md = _MD_PREFIX.match(line)
    return md.end() if md else 0


def _renumbered(line: str, value: int) -> str:
    marker = _marker(line)
    if marker is None or marker.value == value:
        return line
    num = str(value) if marker.style.startswith(("n", "(n")) else _cn_numeral(value)
    return line[: marker.start] + num + line[marker.end :]


def _can_shuffle(markers: list[_Marker | None]) -> bool:
    """Siblings may change places when none is numbered, or all are numbered in one
    style consecutively (then the numbers follow the positions)."""
    if all(m is None for m in markers):
        return True
    if any(m is None for m in markers):
        return False
    styles = {m.style for m in markers if m is not None}
    values = [m.value for m in markers if m is not None]
    return len(styles) == 1 and values == list(range(values[0], values[0] + len(values)))


def _arrange(
    paths: list[tuple[str, ...]], lines: list[str], rng: random.Random
) -> tuple[list[int], dict[int, int]]:
    """A new paragraph order (0-based indices) with sibling sections shuffled, and the
    new marker number of every moved section's opening paragraph."""
    n = len(paths)
    opens = [bool(paths[i]) and (i == 0 or paths[i] != paths[i - 1]) for i in range(n)]
    order: list[int] = []
    numbers: dict[int, int] = {}

    def emit_run(run: list[tuple[int, int]]) -> None:
        markers = [_marker(lines[s]) for s, _ in run]
        if len(run) > 1 and _can_shuffle(markers):
            first = markers[0].value if markers[0] is not None else None
            run = list(run)
            rng.shuffle(run)
            if first is not None:
                for pos, (s, _) in enumerate(run):
                    numbers[s] = first + pos
        for s, e in run:
            order.append(s)
            walk(s + 1, e, paths[s])

    def walk(lo: int, hi: int, parent: tuple[str, ...]) -> None:
        run: list[tuple[int, int]] = []
        i = lo
        while i < hi:
            if opens[i] and paths[i][:-1] == parent:
                depth, end = len(paths[i]), i + 1
                while end < hi and paths[end][:depth] == paths[i]:
                    end += 1
                run.append((i, end))
                i = end
                continue
            emit_run(run)
            run = []
            order.append(i)
            i += 1
        emit_run(run)

    walk(0, n, ())
    return order, numbers


# ---- substitutions ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Profile:
    """What an original offers to substitute, found once per original."""

    places: tuple[str, ...]  # two-character place-name stems
    level: str | None  # the administrative level it speaks for


@cache
def _profile(doc_id: str) -> _Profile:
    text = original(doc_id).text
    levels = Counter(m.group(0) for m in _LEVEL.finditer(text))
    return _Profile(place_stems(text), levels.most_common(1)[0][0] if levels else None)


def place_stems(text: str) -> tuple[str, ...]:
    """Two-character names of local places in ``text``, sorted: what stands before
    市/县/区/镇/… (in a word jieba tags as a place, or as a word of its own before
    the suffix) when jieba tags the name by itself as a place or a person's name
    (临江市, 白沙县, 梅岭县; not 各乡镇, 老城区, 每个县, 文明村…)."""
    import jieba.posseg

    tokens = [(t.word, t.flag) for t in jieba.posseg.cut(text, HMM=False)]
    candidates: set[str] = set()
    for (word, flag), (after, _) in zip(tokens, [*tokens[1:], ("", "")], strict=True):
        if flag == "ns" and len(word) == 3 and word[-1] in _PLACE_SUFFIX:
            candidates.add(word[:2])
        elif len(word) == 2 and after in _PLACE_SUFFIX and len(after) == 1:
            candidates.add(word)
    stems = set()
    for stem in candidates:
        alone = [(t.word, t.flag) for t in jieba.posseg.cut(stem)]
        if len(alone) != 1 or not _PLACE.fullmatch(stem):
            continue
        if alone[0][1] == "ns":
            stems.add(stem)
        elif alone[0][1] == "nr":
            # A word jieba knows as a person's name (白沙, 梅岭, but also 文明) names a
            # place here only if it mostly stands before a place suffix.
            before = len(re.findall(f"{stem}[{_PLACE_SUFFIX}]", text))
            if 2 * before > text.count(stem):
                stems.add(stem)
    return tuple(sorted(stems))


class _Substitution:
    """One variant's choices, drawn once so that a year, a place or the level reads
    the same in every paragraph of the document."""

    def __init__(self, rng: random.Random, profile: _Profile) -> None:
        self.rng = rng
        self.shift = rng.randint(-12, 2)
        pool = [p for p in PLACES if p not in profile.places]
        picks = rng.sample(pool, len(pool))
        self.redacted = picks[0]
        self.places = {stem: picks[(k + 1) % len(picks)] for k, stem in enumerate(profile.places)}
        self.place_re = (
            re.compile("|".join(map(re.escape, profile.places))) if profile.places else None
        )
        self.level = (profile.level, rng.choice(LEVELS)) if profile.level else None
        self.numbers: dict[str, str] = {}
        self.months: dict[str, str] = {}
        self.days: dict[str, str] = {}

    def _scaled(self, old: str, percent: bool) -> str:
        """A new value for a number: half to twice it (a share stays at most 100%),
        with as many decimals; 0–3 (counts of things) become 1–5."""
        _, _, decimals = old.partition(".")
        value = float(old)
        if value <= 3 and not decimals:
            return str(self.rng.randint(1, 5))
        high = min(2.0 * value, 100.0) if percent and value <= 100 else 2.0 * value
        new = self.rng.uniform(0.5 * value, high)
        if decimals:
            return f"{max(new, 10 ** -len(decimals)):.{len(decimals)}f}"
        return str(max(1, round(new)))

    def _number(self, m: re.Match[str]) -> str:
        old, text, end = m.group(0), m.string, m.end()
        after = text[end : end + 1]
        if old.isdigit() and len(old) == 4 and 1900 <= int(old) <= 2099 and after in _YEAR_NEXT:
            return str(int(old) + self.shift)
        if old.isdigit() and after == "月" and 1 <= int(old) <= 12:
            return self.months.setdefault(old, str(self.rng.randint(1, 12)))
        if old.isdigit() and after in ("日", "号") and after and 1 <= int(old) <= 31:
            return self.days.setdefault(old, str(self.rng.randint(1, 28)))
        if old not in self.numbers:
            self.numbers[old] = self._scaled(old, after in ("%", "％"))
        return self.numbers[old]

    def __call__(self, line: str) -> str:
        keep = _protected(line)
        head, text = line[:keep], line[keep:]
        text = _NUMBER.sub(self._number, text)
        text = _REDACTED.sub(self.redacted, text)
        if self.place_re is not None:
            text = self.place_re.sub(lambda m: self.places[m.group(0)], text)
        if self.level is not None:
            old, new = self.level
            text = _LEVEL.sub(lambda m: new if m.group(0) == old else m.group(0), text)
        for pattern, group in zip(_SWAP_RES, SWAPS, strict=True):
            pick = self.rng.choice(group)
            text = pattern.sub(pick, text)
        return head + text


# ---- variants and corpora ----------------------------------------------------------------


def synthesize(of: str, k: int, seed: int = SEED) -> SyntheticDoc:
    """Variant ``k`` (≥ 1) of the original ``of``; the same (of, k, seed) always gives
    the same text. Drawn without the shuffle when a shuffled draw would not parse
    like the original."""
    base = _parsed_original(of)
    lines = [_stored_line(base.text, p.start) for p in base.paragraphs]
    paths = [tuple(p.section.split(SECTION_SEP)) if p.section else () for p in base.paragraphs]
    doc_id = f"{of}-v{k:04d}"
    for shuffle in (True, False):
        rng = random.Random(f"{seed}:{of}:{k}")
        order, numbers = _arrange(paths, lines, rng) if shuffle else (list(range(len(lines))), {})
        substitute = _Substitution(rng, _profile(of))
        text = "".join(
            substitute(_renumbered(lines[i], numbers[i]) if i in numbers else lines[i]) + "\n"
            for i in order
        )
        doc = SyntheticDoc(doc_id, text, tuple(i + 1 for i in order), of, original(of).template)
        if not check_parse(doc):
            return doc
    raise RuntimeError(f"no variant {k} of {of} parses like the original: {check_parse(doc)}")


def _stored_line(text: str, at: int) -> str:
    """The whole stored line holding offset ``at``: a paragraph's words plus any prefix the
    loader wrote for it (a Word heading is stored as a Markdown heading line)."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start : end if end >= 0 else len(text)].strip()


def build_corpus(size: int, seed: int = SEED) -> list[SyntheticDoc]:
    """``size`` documents: the originals first, then their variants round-robin, all
    with distinct texts."""
    return list(iter_corpus(size, seed))


def iter_corpus(size: int, seed: int = SEED) -> Iterator[SyntheticDoc]:
    origs = originals()
    seen: set[str] = set()
    for i in range(max(0, size)):
        if i < len(origs):
            doc = origs[i]
        else:
            j, k = (i - len(origs)) % len(origs), (i - len(origs)) // len(origs) + 1
            attempt = 0
            while True:
                doc = synthesize(
                    origs[j].doc_id, k, seed if attempt == 0 else seed * 1000 + attempt
                )
                if _digest(doc.text) not in seen:
                    break
                attempt += 1  # two variants drew the same choices: draw again, deterministically
        seen.add(_digest(doc.text))
        yield doc


def beyond_last_paragraph() -> list[str]:
    """Questions whose gold names a paragraph past the end of its document as the
    loader gives it: their numbering and the loader's disagree."""
    from .devcorpus import questions

    count = {d.doc_id: len(prepare(d.loaded()).paragraphs) for d in originals()}
    return sorted(
        q.id for q in questions() if any(n > count.get(doc_id, n) for doc_id, n in q.gold)
    )


def changed(doc: SyntheticDoc) -> SyntheticDoc:
    """``doc`` with one body paragraph edited (a sentence appended), for re-ingest."""
    lines = doc.text.split("\n")
    nonempty = [k for k, line in enumerate(lines) if line.strip()]
    target = nonempty[len(nonempty) // 2]
    lines[target] = lines[target].rstrip() + "这一条是本次修订时补充的内容。"
    return replace(doc, text="\n".join(lines))


def check_parse(doc: SyntheticDoc) -> list[str]:
    """Problems of a variant's structure against its original (empty when it parses
    like the original: paragraph count, and each paragraph's kind and section depth
    those of its origin)."""
    base = _parsed_original(doc.original)
    parsed = prepare(doc.loaded())
    if len(parsed.paragraphs) != len(base.paragraphs):
        return [f"{len(parsed.paragraphs)} paragraphs, not {len(base.paragraphs)}"]
    problems: list[str] = []
    for p in parsed.paragraphs:
        o = base.paragraphs[doc.origin[p.n - 1] - 1]
        if p.kind != o.kind:
            problems.append(f"¶{p.n} is {p.kind}, its origin ¶{o.n} is {o.kind}")
        if p.section.count(SECTION_SEP) != o.section.count(SECTION_SEP) or bool(p.section) != bool(
            o.section
        ):
            problems.append(f"¶{p.n} section depth differs from its origin ¶{o.n}")
    return problems


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
