"""Paragraph structure: the ¶n numbering, kinds and section paths every citation uses."""

from __future__ import annotations

import io
from collections import defaultdict

import docx
import pytest
from helpers import SPEECH_ID, SPEECH_PATH

from ingest.load import load_bytes, load_path
from ingest.parse import SECTION_SEP, Paragraph, ParsedDocument, content_hash, parse, slugify
from ingest.pipeline import default_speech_path, prepare

H1 = "一、深入学习贯彻各级会议精神，切实把思想和行动统一到中央决策部署、省委和市委工作要求上来"
H2 = "二、提高政治站位，在捍卫“两个确立”、践行“两个维护”上更加坚定自觉"
H3 = "三、持续正风肃纪反腐，为推进**高质量发展保驾护航"


def _s(*parts: str) -> str:
    return " › ".join(parts)


# (n, kind, section path) of all 18 paragraphs of the bundled speech, read off the
# speech: a （一） paragraph opens a sub-section named by its lead sentence (the text
# before its first 。), and the closing "同志们，…" leaves every section.
EXPECTED = [
    (1, "salutation", ""),
    (2, "body", ""),
    (3, "body", ""),
    (4, "body", ""),
    (5, "body", ""),
    (6, "heading", H1),
    (
        7,
        "body",
        _s(
            H1,
            "（一）要深刻领会把握党中央关于全面从严治党的战略判断，切实抓好党风廉政建设和反腐败工作的使命感",
        ),
    ),
    (
        8,
        "body",
        _s(H1, "（二）要深刻认识全面从严治党新形势，切实增强抓好党风廉政建设和反腐败工作的紧迫感"),
    ),
    (
        9,
        "body",
        _s(H1, "（三）要深刻领会全面从严治党新要求，继续打好党风廉政建设和反腐败斗争攻坚战"),
    ),
    (10, "heading", H2),
    (11, "body", _s(H2, "（一）要强化创新理论武装，把牢正确政治方向")),
    (12, "body", _s(H2, "（二）要始终牢记“国之大者”，及时校准偏差")),
    (13, "body", _s(H2, "（三）要强化基层党组织建设，严肃党内政治生活")),
    (14, "heading", H3),
    (15, "body", _s(H3, "（一）持续加强制度建设，强化廉政风险防控管理")),
    (16, "body", _s(H3, "（二）强化纪律和规矩意识，筑牢防腐拒变思想防线")),
    (17, "body", _s(H3, "（三）树牢“人民满意”标尺，营造风清气正政治环境")),
    (18, "body", ""),
]


def _para(doc: ParsedDocument, n: int) -> Paragraph:
    p = doc.paragraph(n)
    assert p is not None, f"no ¶{n}"
    return p


@pytest.fixture(scope="module")
def speech() -> ParsedDocument:
    return prepare(load_path(default_speech_path(), 10_000_000))


def test_bundled_speech_is_the_shipped_file() -> None:
    assert default_speech_path().resolve() == SPEECH_PATH.resolve()


def test_speech_numbering_kinds_and_sections(speech: ParsedDocument) -> None:
    assert speech.doc_id == SPEECH_ID
    assert speech.title == SPEECH_ID
    assert speech.format == "txt"
    got = [(p.n, p.kind, p.section) for p in speech.paragraphs]
    assert got == EXPECTED


def test_speech_paragraphs_are_the_non_empty_lines_verbatim(speech: ParsedDocument) -> None:
    lines = [line for line in SPEECH_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == 18
    assert [p.text for p in speech.paragraphs] == lines
    assert _para(speech, 1).text == "同志们："
    assert _para(speech, 6).text == H1
    assert _para(speech, 7).text.startswith("（一）要深刻领会把握党中央")
    assert _para(speech, 18).text.startswith("同志们，全面从严治党，只有进行时，没有完成时。")
    assert speech.paragraph(0) is None
    assert speech.paragraph(19) is None


def test_speech_offsets_and_hashes(speech: ParsedDocument) -> None:
    previous_end = -1
    for p in speech.paragraphs:
        assert speech.text[p.start : p.end] == p.text
        assert p.start > previous_end
        previous_end = p.end
        assert p.hash == content_hash(p.text)
        assert p.doc_id == SPEECH_ID
        assert p.title == SPEECH_ID
    assert speech.hash == content_hash(f"txt\n{SPEECH_ID}\n{speech.text}")


def test_speech_chunks_map_to_exactly_one_paragraph(speech: ParsedDocument) -> None:
    chunks = speech.chunks()
    assert len({c.id for c in chunks}) == len(chunks)
    by_n = defaultdict(list)
    for c in chunks:
        p = speech.paragraph(c.n)
        assert p is not None
        assert p.start <= c.start < c.end <= p.end
        assert speech.text[c.start : c.end] == c.text
        assert c.text_hash == content_hash(c.text)
        assert c.id.startswith(f"{SPEECH_ID}:{c.n}:")
        assert c.id.endswith(c.text_hash[:16])
        assert c.metadata() == {"doc_id": SPEECH_ID}
        by_n[c.n].append(c)
    assert sorted(by_n) == list(range(1, 19))
    for n, group in by_n.items():
        p = speech.paragraph(n)
        assert p is not None
        whole = [c for c in group if c.level == "p"]
        sentences = [c for c in group if c.level == "s"]
        assert len(whole) == 1
        assert (whole[0].start, whole[0].end, whole[0].text) == (p.start, p.end, p.text)
        assert len(sentences) != 1  # one sentence is the paragraph itself
        if sentences:
            # Sentence windows tile the paragraph, in order, each ending on 。！？； or at ¶ end.
            assert "".join(c.text for c in sentences) == p.text
            assert [c.start for c in sentences] == sorted(c.start for c in sentences)
            for c in sentences[:-1]:
                assert c.text[-1] in "。！？；!?;”’」』）)】》\"'"
    # ¶3 has eight sentences (一是… 二是… 三是… included); headings have none.
    assert len(by_n[3]) == 1 + 8
    assert len(by_n[6]) == len(by_n[10]) == len(by_n[14]) == 1


def test_outline_markers_nest_and_close() -> None:
    text = "\n".join(
        [
            "一、总体要求",
            "（一）基本原则",
            "1. 坚持党的领导。要把党的领导贯穿始终。",
            "（1）第一小点",
            "正文。",
            "1.5亿元资金已经到位。",
            "2. 第二点",
            "（二）工作目标",
            "二、具体措施",
            "正文二。",
        ]
    )
    doc = parse(text, "txt", "d", "t")
    a, a1 = "一、总体要求", "（一）基本原则"
    assert [(p.n, p.kind, p.section) for p in doc.paragraphs] == [
        (1, "heading", a),
        (2, "heading", _s(a, a1)),
        (3, "body", _s(a, a1, "1. 坚持党的领导")),
        (4, "heading", _s(a, a1, "1. 坚持党的领导", "（1）第一小点")),
        (5, "body", _s(a, a1, "1. 坚持党的领导", "（1）第一小点")),
        (6, "body", _s(a, a1, "1. 坚持党的领导", "（1）第一小点")),  # 1.5 is a number, not a marker
        (7, "heading", _s(a, a1, "2. 第二点")),
        (8, "heading", _s(a, "（二）工作目标")),
        (9, "heading", "二、具体措施"),
        (10, "body", "二、具体措施"),
    ]
    assert SECTION_SEP == " › "


def test_ascii_brackets_and_other_marker_forms() -> None:
    doc = parse("三、总结\n(二)半角括号\n10、第十点\n(3)小点", "txt", "d", "t")
    assert [p.section for p in doc.paragraphs] == [
        "三、总结",
        _s("三、总结", "(二)半角括号"),
        _s("三、总结", "(二)半角括号", "10、第十点"),
        _s("三、总结", "(二)半角括号", "10、第十点", "(3)小点"),
    ]


def test_markdown_headings() -> None:
    text = "# 工作会议讲话\n\n## 一、总体要求\n\n正文一。正文二。\n\n### 细则\n\n正文三。\n\n## 二、其他\n\n正文四。\n"
    loaded = load_bytes(text.encode("utf-8"), "talk.md")
    assert loaded.title == "工作会议讲话"
    assert loaded.format == "md"
    doc = prepare(loaded)
    assert doc.doc_id == "talk"
    # The "# " line is the document's title, not a section; a heading's text is its
    # words without the "#"s (what a quote or a citation shows).
    assert [(p.n, p.kind, p.section, p.text) for p in doc.paragraphs] == [
        (1, "title", "", "工作会议讲话"),
        (2, "heading", "一、总体要求", "一、总体要求"),
        (3, "body", "一、总体要求", "正文一。正文二。"),
        (4, "heading", _s("一、总体要求", "细则"), "细则"),
        (5, "body", _s("一、总体要求", "细则"), "正文三。"),
        (6, "heading", "二、其他", "二、其他"),
        (7, "body", "二、其他", "正文四。"),
    ]
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text
    # In a .txt file a '#' line is ordinary text.
    p = parse("正文。\n# 不是标题", "txt", "d", "t").paragraphs[1]
    assert (p.kind, p.text) == ("body", "# 不是标题")


def test_salutations_and_long_marker_lines() -> None:
    doc = parse(
        "尊敬的各位领导：\n一、回顾\n正文。\n同志们，下面我再强调几点意见，请大家认真抓好贯彻落实。\n一、这是一个很长的编号段落。它有好几句话，所以是正文而不是标题。",
        "txt",
        "d",
        "t",
    )
    assert [(p.kind, p.section) for p in doc.paragraphs] == [
        ("salutation", ""),
        ("heading", "一、回顾"),
        ("body", "一、回顾"),
        ("body", ""),  # a salutation sentence leaves every section
        ("body", "一、这是一个很长的编号段落"),
    ]


def test_blank_and_indented_lines_keep_offsets_into_the_original() -> None:
    text = "\n\n　　同志们：  \n\t\n　　今天开会。 \n   \n结束。"
    doc = parse(text, "txt", "d", "t")
    assert [p.text for p in doc.paragraphs] == ["同志们：", "今天开会。", "结束。"]
    assert [p.n for p in doc.paragraphs] == [1, 2, 3]
    for p in doc.paragraphs:
        assert text[p.start : p.end] == p.text
    assert parse("\n \n\t\n", "txt", "d", "t").paragraphs == []


def _docx_bytes(title_property: str = "") -> bytes:
    document = docx.Document()
    if title_property:
        document.core_properties.title = title_property
    document.add_heading("测试讲话", level=0)  # style "Title"
    document.add_paragraph("同志们：")
    document.add_paragraph("")
    document.add_paragraph("   ")
    document.add_heading("一、总体要求", level=1)
    p = document.add_paragraph("第一行。")
    p.add_run().add_break()  # a soft line break inside one Word paragraph
    p.add_run("第二行。")
    document.add_heading("（一）细则", level=2)
    document.add_paragraph("结束。")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_docx_paragraph_numbering() -> None:
    loaded = load_bytes(_docx_bytes(), "会议讲话.docx")
    assert loaded.format == "docx"
    assert loaded.encoding == "docx"
    assert loaded.title == "测试讲话"  # from the Title-styled paragraph
    doc = prepare(loaded)
    assert doc.doc_id == "会议讲话"
    a = "一、总体要求"
    assert [(p.n, p.text, p.section) for p in doc.paragraphs] == [
        (1, "测试讲话", ""),
        (2, "同志们：", ""),
        (3, a, a),
        (4, "第一行。 第二行。", a),  # the soft break is a space, not a new ¶
        (5, "（一）细则", _s(a, "（一）细则")),
        (6, "结束。", _s(a, "（一）细则")),
    ]
    assert [p.kind for p in doc.paragraphs[1:]] == [
        "salutation",
        "heading",
        "body",
        "heading",
        "body",
    ]
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text
    chunks = [c for c in doc.chunks() if c.n == 4]
    assert [c.text for c in chunks] == ["第一行。 第二行。", "第一行。", "第二行。"]


def test_docx_title_property_wins() -> None:
    assert load_bytes(_docx_bytes("正式标题"), "x.docx").title == "正式标题"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("speech-2023-party-discipline.txt", "speech-2023-party-discipline"),
        ("/some/dir/2023年 工作会议讲话.TXT", "2023年-工作会议讲话"),
        ("Ｆｕｌｌ　Width.md", "full-width"),
        ("!!!.txt", "document"),
    ],
)
def test_slugify_is_a_stable_doc_id(name: str, slug: str) -> None:
    assert slugify(name) == slug
