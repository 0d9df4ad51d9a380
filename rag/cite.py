"""Citation verification, the same for every answerer.

Parses [¶n] markers and 「quotes」 out of an answer, drops citations of
paragraphs that do not exist or were not in the context, and checks each quote
against the cited paragraph after normalisation, mapping it to exact offsets.
An unverified quote is marked in the text and never reported as verified.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.parse import ParsedDocument
from speechqa.text import find_quote, split_sentences

from .constants import (
    CITATION_RE,
    CITATION_VARIANT_RES,
    INTRO_LINE_RE,
    QUOTE_RE,
    UNCITED_MARK,
    UNVERIFIED_MARK,
    cite,
)
from .result import Citation


def normalize_citations(text: str) -> str:
    """Citation variants models write (【¶3】, [3], （第3段）, [第3、5段]…) as [¶n]."""

    def canonical(m: re.Match[str]) -> str:
        nums = m.groupdict().get("nums") or m.groupdict().get("nums2") or ""
        return "".join(cite(int(n)) for n in re.findall(r"\d+", nums))

    for pattern in CITATION_VARIANT_RES:
        text = pattern.sub(canonical, text)
    return text


def _mark(unit: str) -> str:
    """``unit`` with UNCITED_MARK after its text (before trailing whitespace)."""
    body = unit.rstrip()
    return body + UNCITED_MARK + unit[len(body) :]


@dataclass
class Verified:
    text: str
    citations: list[Citation] = field(default_factory=list)
    invalid: list[int] = field(default_factory=list)
    sentences: int = 0
    uncited: int = 0


def citation_numbers(marker: str) -> list[int]:
    m = CITATION_RE.fullmatch(marker.strip())
    return [int(x) for x in re.findall(r"\d+", m.group(1))] if m else []


def _units(text: str) -> list[str]:
    """Answer sentences, each with the citation markers that follow it."""
    units: list[str] = []
    for line in text.split("\n"):
        # Sentence ends inside a 「quote」 do not end the answer's sentence.
        masked = QUOTE_RE.sub(lambda m: "「" + "x" * len(m.group(1)) + "」", line)
        spans = split_sentences(masked)
        pieces = [line[s:e] for s, e in spans]
        for piece in pieces:
            lead = re.match(rf"^(?:\s*{CITATION_RE.pattern})+", piece)
            if lead and units and units[-1] != "\n":
                units[-1] += lead.group(0)
                piece = piece[lead.end() :]
            if piece.strip():
                units.append(piece)
        units.append("\n")
    return units[:-1] if units else units


def verify(
    text: str,
    doc: ParsedDocument,
    allowed: set[int],
    values: Sequence[tuple[int, int]] = (),
    *,
    mark_uncited: bool = False,
) -> Verified:
    """Check every citation and quote of ``text`` against ``doc``.

    ``allowed`` is the set of paragraph numbers the answerer was given; ``values``
    are document spans of asked values, each given to the verified quote holding it.
    A sentence whose citations were all dropped is marked UNCITED_MARK, and so is every
    sentence without a citation when ``mark_uncited`` (an LLM's answer): what
    cannot be traced to the speech never prints as if it could.
    """
    out = Verified(text="")
    seen: set[tuple[int, str | None]] = set()
    rebuilt: list[str] = []
    # Units are split per line first: a quote wrapped over lines must stay one quote.
    text = QUOTE_RE.sub(lambda m: m.group(0).replace("\n", " "), text)
    for unit in _units(text):
        if unit == "\n":
            rebuilt.append("\n")
            continue
        valid: list[int] = []
        had_citation = CITATION_RE.search(unit) is not None

        def keep(m: re.Match[str], valid: list[int] = valid) -> str:
            ok = []
            for n in citation_numbers(m.group(0)):
                if doc.paragraph(n) is not None and n in allowed:
                    ok.append(n)
                    if n not in valid:
                        valid.append(n)
                elif n not in out.invalid:
                    out.invalid.append(n)
            return "".join(f"[¶{n}]" for n in ok)

        unit = CITATION_RE.sub(keep, unit)

        def check(m: re.Match[str], valid: list[int] = valid) -> str:
            quote = m.group(1)
            for n in valid:
                p = doc.paragraph(n)
                assert p is not None
                span = find_quote(quote, p.text)
                if span:
                    key = (n, quote)
                    if key not in seen:
                        seen.add(key)
                        start, end = p.start + span[0], p.start + span[1]
                        inside = [v for v in values if start <= v[0] < v[1] <= end]
                        vs, ve = inside[0] if inside else (None, None)
                        out.citations.append(
                            Citation(doc.doc_id, n, quote, start, end, True, None, vs, ve)
                        )
                    return m.group(0)
            found = next((p.n for p in doc.paragraphs if find_quote(quote, p.text)), None)
            out.citations.append(
                Citation(
                    doc.doc_id, valid[0] if valid else (found or 0), quote, None, None, False, found
                )
            )
            return m.group(0) + UNVERIFIED_MARK

        unit = QUOTE_RE.sub(check, unit)
        body = CITATION_RE.sub("", unit).strip()
        if body and re.search(r"\w", body) and not INTRO_LINE_RE.match(body):
            out.sentences += 1
            if not valid:
                out.uncited += 1
                if had_citation or mark_uncited:
                    unit = _mark(unit)
        quoted = {c.paragraph for c in out.citations if c.quote is not None}
        for n in valid:
            if n not in quoted and (n, None) not in seen:
                p = doc.paragraph(n)
                assert p is not None
                seen.add((n, None))
                out.citations.append(Citation(doc.doc_id, n, None, p.start, p.end, True))
        rebuilt.append(unit)
    out.text = "".join(rebuilt).strip()
    return out
