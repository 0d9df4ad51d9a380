"""Outline styles of official speeches, one small text each: the kinds and section
paths the parser gives, titles and bylines, Word styles and tables, and the
parallel items helper. Every expectation is read off the text above it."""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ingest.load import load_bytes
from ingest.outline import cn_number, parallel_items, parallel_series, start_marker
from ingest.parse import SECTION_SEP, ParsedDocument, parse, title_line
from ingest.pipeline import prepare


def _s(*parts: str) -> str:
    return SECTION_SEP.join(parts)


def _doc(*lines: str, fmt: str = "txt") -> ParsedDocument:
    return parse("\n".join(lines), fmt, "d", "t")


def _rows(doc: ParsedDocument) -> list[tuple[int, str, str]]:
    return [(p.n, p.kind, p.section) for p in doc.paragraphs]


# ---- paragraph-start markers ------------------------------------------------------
def test_ordinal_points_with_enumerated_items_inside() -> None:
    doc = _doc(
        "同志们：",
        "下面，我讲三点意见。",
        "第一，提高政治站位。这是做好工作的前提。",
        "一是加强理论学习。要坚持读原著。",
        "二是严肃组织生活。要落实三会一课。",
        "第二，压实工作责任。",
        "各级要抓好落实。",
        "第三，加强作风建设。作风是形象。",
        "同志们，让我们共同努力。",
    )
    a, b, c = "第一，提高政治站位", "第二，压实工作责任", "第三，加强作风建设"
    assert _rows(doc) == [
        (1, "salutation", ""),
        (2, "body", ""),
        (3, "body", a),
        (4, "body", _s(a, "一是加强理论学习")),
        (5, "body", _s(a, "二是严肃组织生活")),
        (6, "heading", b),
        (7, "body", b),
        (8, "body", c),
        (9, "salutation", ""),  # a short closing address leaves every section
    ]


def test_the_family_used_first_is_the_top_level() -> None:
    # The same two families the other way round: 一是 opens the points here.
    doc = _doc(
        "一是抓学习。要学深悟透。",
        "第一，读原著。第二，悟原理。",
        "二是抓落实。要真抓实干。",
    )
    assert [p.section for p in doc.paragraphs] == ["一是抓学习", "一是抓学习", "二是抓落实"]
    doc = _doc("一是抓学习。", "第一，读原著。正文。", "第二，悟原理。正文。", "二是抓落实。")
    assert [p.section for p in doc.paragraphs] == [
        "一是抓学习",
        _s("一是抓学习", "第一，读原著"),
        _s("一是抓学习", "第二，悟原理"),
        "二是抓落实",
    ]


def test_ordinal_points_inside_numbered_parts() -> None:
    doc = _doc(
        "一、总体要求",
        "第一，坚持稳中求进。正文。",
        "第二，坚持系统观念。正文。",
        "二、重点任务",
        "（一）扩大内需",
        "第一，稳投资。正文。",
        "第二，促消费。正文。",
    )
    one, two, inner = "一、总体要求", "二、重点任务", "（一）扩大内需"
    assert [p.section for p in doc.paragraphs] == [
        one,
        _s(one, "第一，坚持稳中求进"),
        _s(one, "第二，坚持系统观念"),
        two,
        _s(two, inner),
        _s(two, inner, "第一，稳投资"),
        _s(two, inner, "第二，促消费"),
    ]


def test_order_words_open_sections() -> None:
    doc = _doc(
        "首先，要提高认识。认识到位才能行动到位。",
        "具体有三点。",
        "其次，要完善制度。",
        "制度管根本。",
        "再次，要强化监督。",
        "最后，要加强领导。正文。",
    )
    assert _rows(doc) == [
        (1, "body", "首先，要提高认识"),
        (2, "body", "首先，要提高认识"),
        (3, "heading", "其次，要完善制度"),  # one sentence with text under it
        (4, "body", "其次，要完善制度"),
        (5, "body", "再次，要强化监督"),  # one sentence, its sibling next: an item
        (6, "body", "最后，要加强领导"),
    ]


@pytest.mark.parametrize(
    "lines",
    [
        ("第一，这是唯一一处。正文。", "正文二。"),  # no 第二 at a paragraph start
        ("一是压实责任。正文。", "要强化考核。正文。"),  # 二是 never opens a paragraph
        ("最后，我再强调一点。正文。", "正文二。"),  # no 首先 before it
        ("第二，先出现的第二。正文。", "第一，后出现的第一。正文。"),  # not in order
    ],
)
def test_a_lone_ordinal_is_not_a_section(lines: tuple[str, ...]) -> None:
    assert [(p.kind, p.section) for p in _doc(*lines).paragraphs] == [("body", "")] * len(lines)


def test_inline_series_is_not_a_section() -> None:
    doc = _doc(
        "一、加强监督",
        "要做到三个到位：一是思想到位；二是措施到位；三是责任到位。",
        "第一书记要带头，第一时间发现问题。",
    )
    assert [p.section for p in doc.paragraphs] == ["一、加强监督"] * 3
    assert [p.kind for p in doc.paragraphs] == ["heading", "body", "body"]


def test_articles_and_chapters() -> None:
    doc = _doc(
        "第一章 总则",
        "第一条 为了规范工作，制定本办法。",
        "第二条 本办法适用于全市。",
        "第二章 职责",
        "第三条 各部门按职责分工负责。",
    )
    assert [p.section for p in doc.paragraphs] == [
        "第一章 总则",
        _s("第一章 总则", "第一条 为了规范工作，制定本办法"),
        _s("第一章 总则", "第二条 本办法适用于全市"),
        "第二章 职责",
        _s("第二章 职责", "第三条 各部门按职责分工负责"),
    ]


def test_numbered_one_sentence_items_are_a_list_not_headings() -> None:
    doc = _doc(
        "（一）办好民生实事。",
        "今年办好三件实事：",
        "1.新建学校15所，新增学位1.8万个。",
        "2.新增托位3000个。",
        "3.改造老旧小区210个。",
        "（二）保障安全。",
        "要守牢底线。",
    )
    part = "（一）办好民生实事"
    assert _rows(doc) == [
        (1, "heading", part),  # one sentence with text under it
        (2, "body", part),
        (3, "body", _s(part, "1.新建学校15所，新增学位1.8万个")),
        (4, "body", _s(part, "2.新增托位3000个")),
        (5, "body", _s(part, "3.改造老旧小区210个")),  # the next part follows: no text under it
        (6, "heading", "（二）保障安全"),
        (7, "body", "（二）保障安全"),
    ]


def test_datelines_speakers_and_salutations_open_no_section() -> None:
    doc = _doc(
        "在2024年全市工作会议上的讲话",
        "——2024年1月15日在市委全会上",
        "市委书记　王某某",
        "（2024年1月15日）",
        "各位代表：",
        "一、回顾",
        "正文。",
    )
    assert _rows(doc) == [
        (1, "title", ""),
        (2, "byline", ""),
        (3, "byline", ""),
        (4, "byline", ""),
        (5, "salutation", ""),
        (6, "heading", "一、回顾"),
        (7, "body", "一、回顾"),
    ]


# ---- titles -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "fmt", "title"),
    [
        ("在2024年全市工作会议上的讲话\n同志们：\n正文。", "txt", "在2024年全市工作会议上的讲话"),
        ("同志们：\n正文。", "txt", ""),  # the salutation opens the speech
        ("同志们\n正文。", "txt", ""),  # an address, even without its colon
        ("今天开会。\n正文。", "txt", ""),  # a sentence
        ("（2024年1月15日）\n正文。", "txt", ""),  # a dateline
        ("一、总体要求\n正文。", "txt", ""),  # an outline heading
        ("在全市工作会议上的讲话", "txt", ""),  # nothing after it
        ("# 讲话\n## 一、要求\n正文。", "md", "讲话"),
        ("# 一、要求\n正文。\n# 二、措施\n正文。", "md", ""),  # parts, not a title
        ("## 讲话\n### 一、要求\n正文。", "md", "讲话"),
        ("# 标题\n正文。", "txt", "# 标题"),  # "#" is text in a .txt file
    ],
)
def test_title_line(text: str, fmt: str, title: str) -> None:
    assert title_line(text, fmt) == title
    kinds = [p.kind for p in parse(text, fmt, "d", "t").paragraphs]
    assert (kinds[0] == "title") == bool(title)
    assert kinds.count("title") <= 1


def test_document_title_is_the_title_line_else_the_file_name() -> None:
    loaded = load_bytes("在全市工作会议上的讲话\n同志们：\n正文。".encode(), "2024 会议.txt")
    doc = prepare(loaded)
    assert (doc.doc_id, doc.title) == ("2024-会议", "在全市工作会议上的讲话")
    assert doc.paragraphs[0].kind == "title" and doc.paragraphs[0].n == 1
    assert prepare(load_bytes("同志们：\n正文。".encode(), "2024 会议.txt")).title == "2024 会议"


def test_markdown_heading_text_is_its_words() -> None:
    text = "# 工作会议讲话\n\n## 一、总体要求 ##\n\n正文一。\n\n### 细则\n\n正文二。\n"
    doc = prepare(load_bytes(text.encode(), "talk.md"))
    assert doc.title == "工作会议讲话"
    assert [(p.kind, p.text, p.section) for p in doc.paragraphs] == [
        ("title", "工作会议讲话", ""),
        ("heading", "一、总体要求", "一、总体要求"),
        ("body", "正文一。", "一、总体要求"),
        ("heading", "细则", _s("一、总体要求", "细则")),
        ("body", "正文二。", _s("一、总体要求", "细则")),
    ]
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text


def test_markdown_headings_and_unstyled_markers_share_levels() -> None:
    doc = _doc(
        "# 讲话",
        "## 一、总体要求",
        "（一）基本原则。正文。",
        "二、重点任务",  # the same family as the "##" heading, written without "#"
        "正文。",
        fmt="md",
    )
    assert [p.section for p in doc.paragraphs] == [
        "",
        "一、总体要求",
        _s("一、总体要求", "（一）基本原则"),
        "二、重点任务",
        "二、重点任务",
    ]


# ---- Word -------------------------------------------------------------------------
def _outline_style(document: object, name: str, level: int) -> None:
    """A custom paragraph style that is a heading only by its outline level."""
    style = document.styles.add_style(name, 1)  # type: ignore[attr-defined]
    ppr = style.element.get_or_add_pPr()
    lvl = OxmlElement("w:outlineLvl")
    lvl.set(qn("w:val"), str(level))
    ppr.append(lvl)


def _word_bytes() -> bytes:
    d = docx.Document()
    _outline_style(d, "公文一级标题", 0)
    d.add_paragraph("在全市工作推进会上的讲话", style="Title")
    d.add_paragraph("市长 王某某（2024年3月26日）")
    d.add_paragraph("同志们：")
    d.add_paragraph("充分肯定成绩", style="Heading 1")  # a heading without a marker
    d.add_paragraph("过去一年成绩显著。")
    d.add_paragraph("存在的问题", style="Heading 2")
    d.add_paragraph("# 井号开头的正文。")  # body text that happens to start with '#'
    d.add_paragraph("二、部署重点任务", style="公文一级标题")
    d.add_paragraph("要抓好以下任务：")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [["序号", "任务", "牵头单位"], ["", "", ""], ["1", "新建农田", "农业局"]]
    ):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    cell = table.cell(2, 1).paragraphs[0]
    cell.add_run().add_break()  # a line break inside a cell
    cell.add_run("试点")
    d.add_paragraph("（一）抓好粮食生产", style="Heading 2")
    d.add_paragraph("同志们，让我们共同努力！")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_word_styles_tables_and_title() -> None:
    loaded = load_bytes(_word_bytes(), "推进会.docx")
    assert loaded.title == "在全市工作推进会上的讲话"
    doc = prepare(loaded)
    one, two = "充分肯定成绩", "二、部署重点任务"
    assert [(p.n, p.kind, p.text, p.section) for p in doc.paragraphs] == [
        (1, "title", "在全市工作推进会上的讲话", ""),
        (2, "byline", "市长 王某某（2024年3月26日）", ""),
        (3, "salutation", "同志们：", ""),
        (4, "heading", one, one),
        (5, "body", "过去一年成绩显著。", one),
        (6, "heading", "存在的问题", _s(one, "存在的问题")),
        (7, "body", "# 井号开头的正文。", _s(one, "存在的问题")),
        (8, "heading", two, two),
        (9, "body", "要抓好以下任务：", two),
        (10, "body", "序号｜任务｜牵头单位", two),  # the empty row is no paragraph
        (11, "body", "1｜新建农田 试点｜农业局", two),
        (12, "heading", "（一）抓好粮食生产", _s(two, "（一）抓好粮食生产")),
        (13, "salutation", "同志们，让我们共同努力！", ""),
    ]
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text
    # Re-parsing the stored text gives the same document (what the index does at start-up).
    again = parse(doc.text, doc.format, doc.doc_id, doc.title)
    assert again.paragraphs == doc.paragraphs


# ---- helpers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("一百零五", 105),
        ("12", 12),
        ("甲", 0),
    ],
)
def test_cn_number(token: str, value: int) -> None:
    assert cn_number(token) == value


@pytest.mark.parametrize(
    ("text", "family", "ordinal", "strong"),
    [
        ("一、总体要求", "一、", 1, True),
        ("（十二）其他", "（一）", 12, True),
        ("(3)小点", "（1）", 3, True),
        ("10.改造市场", "1.", 10, True),
        ("第三，加强作风建设", "第一", 3, False),
        ("第二是强化考核", "第一", 2, False),
        ("第五条 本办法自发布之日起施行", "第一条", 5, False),
        ("第二部分 重点任务", "第一部分", 2, False),
        ("其二，要完善制度", "其一", 2, False),
        ("四是加强保障", "一是", 4, False),
        ("其次，要完善制度", "首先", 2, False),
        ("最后，要加强领导", "首先", 99, False),
    ],
)
def test_start_marker_families(text: str, family: str, ordinal: int, strong: bool) -> None:
    m = start_marker(text)
    assert m is not None and (m.family, m.ordinal, m.strong) == (family, ordinal, strong)


@pytest.mark.parametrize(
    "text", ["1.5亿元资金已经到位。", "第一书记要带头。", "2024年是关键之年。", "统一是前提。"]
)
def test_start_marker_none(text: str) -> None:
    assert start_marker(text) is None


def test_parallel_items_enumerated() -> None:
    text = (
        "存在的问题：一是农业基础还不稳固，灌排设施老化；二是产业链条短；"
        "三是增收后劲不足。对这些问题，要逐项解决。"
    )
    items = parallel_items(text)
    assert [(i.label, i.text) for i in items] == [
        ("一是", "农业基础还不稳固，灌排设施老化"),
        ("二是", "产业链条短"),
        ("三是", "增收后劲不足"),
    ]
    for i in items:
        assert text[i.start : i.end] == i.text


@pytest.mark.parametrize(
    ("text", "labels", "texts"),
    [
        (
            "具体来讲，第一，要健全机制；第二，要强化考核；第三，要容错纠错。",
            ["第一", "第二", "第三"],
            ["要健全机制", "要强化考核", "要容错纠错"],
        ),
        (
            "首先要提高认识，其次要完善制度，最后要抓好落实。会后抓紧部署。",
            ["首先", "其次", "最后"],
            ["要提高认识", "要完善制度", "要抓好落实"],
        ),
        ("其一，稳投资；其二，促消费。", ["其一", "其二"], ["稳投资", "促消费"]),
        (
            "主要目标是：地区生产总值增长6%左右；财政收入增长6%；投资增长7%。",
            ["", "", ""],
            ["地区生产总值增长6%左右", "财政收入增长6%", "投资增长7%"],
        ),
    ],
)
def test_parallel_items_styles(text: str, labels: list[str], texts: list[str]) -> None:
    items = parallel_items(text)
    assert [i.label for i in items] == labels
    assert [i.text for i in items] == texts


def test_parallel_items_none_and_several_series() -> None:
    assert parallel_items("思想统一是前提，第一书记要带头。") == []
    assert parallel_items("一是要学习。") == []  # one item is no list
    text = (
        "以项目稳投资：一是抓开工，二是抓投产。以品质促消费：一是办活动，二是发消费券，三是优环境。"
    )
    series = parallel_series(text)
    assert [len(s.items) for s in series] == [2, 3]
    assert [i.text for i in parallel_items(text)] == ["办活动", "发消费券", "优环境"]
    # A series with ； separators is one enumerated series, not also a ；-series.
    assert [s.kind for s in parallel_series("一是甲；二是乙。")] == ["enumerated"]
