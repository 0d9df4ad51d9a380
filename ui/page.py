"""The web chat's page: its components (:class:`Page`, built by :func:`layout` inside
the Blocks) and its theme. What the components do is wired in :mod:`ui.app`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from speechqa.settings import Settings

from . import feedback
from .render import esc, sources_html
from .style import CHAT_JS, FONTS, PANEL_JS, VIEWER_JS

ALL_DOCS = "__all__"
KIND_ANSWER, KIND_QUOTE = "问答", "摘引"
EXAMPLES = (
    "一共开展了几次集中学习？",
    "今年工作的主要任务是什么？",
    "对党员干部提出了哪些纪律要求？",
)
PLACEHOLDERS = {
    KIND_ANSWER: "就讲话内容提问，例如：一共开展了几次集中学习？（回车发送）",
    KIND_QUOTE: "输入要摘引的主题词，例如：纪律建设（回车发送）",
}


@dataclass
class Page:
    """The components that handlers read or change."""

    turns: gr.State
    selected: gr.State
    fb_target: gr.State
    status: gr.HTML
    kind: gr.Radio
    doc_select: gr.Dropdown
    chat: gr.HTML
    question: gr.Textbox
    send: gr.Button
    examples: list[gr.Button]
    fb_row: gr.Row
    fb_comment: gr.Textbox
    fb_send: gr.Button
    clear: gr.Button
    md_btn: gr.DownloadButton
    docx_btn: gr.DownloadButton
    sources: gr.HTML
    strip: gr.HTML
    viewer: gr.HTML
    upload_box: gr.UploadButton
    docs_table: gr.HTML
    delete_select: gr.Dropdown
    delete_btn: gr.Button
    confirm_row: gr.Row
    confirm_text: gr.HTML
    confirm_btn: gr.Button
    cancel_btn: gr.Button
    answer_mode: gr.Radio
    top_k: gr.Slider
    llm_box: gr.HTML


def layout(settings: Settings, llm_state: str) -> Page:
    """The components, inside the Blocks being built (``llm_state``: the 设置 tab's
    first view of the LLM service)."""
    max_chars = settings.answer.max_question_chars
    default_mode = (
        "llm" if settings.answer.mode == "llm" and settings.llm_configured() else "extractive"
    )
    turns = gr.State([])
    selected = gr.State(None)
    fb_target = gr.State(None)
    with gr.Row(elem_classes="sq-headrow"):
        gr.HTML(
            '<div class="sq-header"><div><h1>讲话问答</h1>'
            "<p>依据讲话原文回答，每句标注出处段落 [¶n]，可逐条核对原文</p></div></div>",
            js_on_load=None,
            scale=3,
            min_width=320,
        )
        # Panels start empty and are filled by demo.load, so the server is up before
        # the corpus is built (the warm-up builds it in the background).
        status = gr.HTML(js_on_load=None, scale=2, min_width=260, elem_id="sq-statusbox")
    with gr.Tabs():
        with gr.Tab("问答", id="chat"), gr.Row(equal_height=False, elem_classes="sq-main"):
            with gr.Column(scale=11, min_width=420, elem_classes="sq-chatcol"):
                with gr.Row():
                    kind = gr.Radio(
                        [KIND_ANSWER, KIND_QUOTE],
                        value=KIND_ANSWER,
                        show_label=False,
                        container=False,
                        scale=2,
                        elem_id="sq-kind",
                    )
                    doc_select = gr.Dropdown(
                        choices=[("全部文档", ALL_DOCS)],
                        value=ALL_DOCS,
                        label="文档",
                        show_label=False,
                        container=False,
                        visible=False,
                        scale=3,
                        elem_id="sq-doc",
                    )
                chat = gr.HTML(
                    '<div class="sq-chat"><div class="sq-welcome">正在载入…</div></div>',
                    js_on_load=CHAT_JS,
                    elem_id="sq-chatpanel",
                )
                # Right under the answers, where the 👍/👎 just clicked is.
                with gr.Row(visible=False, elem_id="sq-fbrow") as fb_row:
                    fb_comment = gr.Textbox(
                        label="补充说明（可选）",
                        placeholder="哪里好、哪里不对？例如：引用的段落不对",
                        scale=6,
                        elem_id="sq-fbcomment",
                    )
                    fb_send = gr.Button("提交说明", scale=1, min_width=90, elem_id="sq-fbsend")
                with gr.Row(elem_classes="sq-askrow"):
                    question = gr.Textbox(
                        placeholder=PLACEHOLDERS[KIND_ANSWER],
                        max_length=max_chars,
                        show_label=False,
                        container=False,
                        lines=1,
                        max_lines=4,
                        scale=8,
                        elem_id="sq-question",
                        autofocus=True,
                    )
                    send = gr.Button(
                        "发送", variant="primary", scale=1, min_width=80, elem_id="sq-send"
                    )
                gr.HTML(
                    f'<div class="sq-hint" id="sq-qcount" data-max="{max_chars}">'
                    f"0 / {max_chars} 字（问题最长 {max_chars} 字）</div>",
                    js_on_load=None,
                    elem_id="sq-qcountbox",
                )
                with gr.Row(elem_classes="sq-examples"):
                    examples = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                with gr.Row(elem_classes="sq-actions"):
                    clear = gr.Button("清空对话", size="sm", variant="secondary")
                    md_btn = gr.DownloadButton(
                        "导出 Markdown", size="sm", interactive=False, elem_id="sq-export-md"
                    )
                    docx_btn = gr.DownloadButton(
                        "导出 Word", size="sm", interactive=False, elem_id="sq-export-docx"
                    )
            with gr.Column(scale=9, min_width=360, elem_classes="sq-side"):
                sources = gr.HTML(sources_html(None, {}), js_on_load=PANEL_JS, elem_id="sq-sources")
                strip = gr.HTML(js_on_load=PANEL_JS, elem_id="sq-strip")
                viewer = gr.HTML(js_on_load=VIEWER_JS, elem_id="sq-viewer")
        with gr.Tab("文档", id="docs"):
            with gr.Row(equal_height=True, elem_classes="sq-uploadrow"):
                upload_box = gr.UploadButton(
                    "上传讲话稿…",
                    file_types=[".txt", ".md", ".docx"],
                    file_count="single",
                    type="filepath",
                    variant="primary",
                    size="md",
                    scale=0,
                    min_width=160,
                    elem_id="sq-upload",
                )
                gr.HTML(
                    f"<div class='sq-hint'>支持 .txt / .md / .docx，单个文件不超过 "
                    f"{settings.max_file_mb:g} MB；GBK、GB18030、UTF-8、UTF-16 编码均可。"
                    "段落编号 ¶n 按非空行计算；同名文件会替换旧版本。</div>",
                    js_on_load=None,
                )
            docs_table = gr.HTML(js_on_load=None, elem_id="sq-doctable")
            with gr.Row(elem_classes="sq-deleterow"):
                delete_select = gr.Dropdown(
                    label="删除文档", choices=[], value=None, scale=4, elem_id="sq-delete"
                )
                delete_btn = gr.Button("删除…", variant="stop", scale=1, min_width=90)
            with gr.Row(visible=False, elem_classes="sq-confirmrow") as confirm_row:
                confirm_text = gr.HTML(js_on_load=None, scale=4)
                confirm_btn = gr.Button("确认删除", variant="stop", scale=1, min_width=90)
                cancel_btn = gr.Button("取消", scale=1, min_width=90)
        with gr.Tab("设置", id="settings"):
            answer_mode = gr.Radio(
                [
                    ("抽取式（离线，逐字摘录原文）", "extractive"),
                    ("大模型（需配置服务）", "llm"),
                ],
                value=default_mode,
                label="回答方式",
                elem_id="sq-mode",
            )
            top_k = gr.Slider(
                1,
                20,
                value=settings.retrieval.top_k,
                step=1,
                label="检索段落数（top-k）",
                info="每次提问先检索的候选段落数；越大越全，但回答可能更长。",
            )
            llm_box = gr.HTML(llm_state, js_on_load=None, elem_id="sq-llmstate")
            gr.HTML(
                f"<div class='sq-hint'>数据目录：<code>{esc(settings.store)}</code>；"
                f"评价记录写入 <code>{esc(feedback.feedback_path(settings.store))}</code>。"
                f"同时计算的回答数：{settings.ui.concurrency}。</div>"
                "<div class='sq-hint'>脚本调用：<code>from gradio_client import Client; "
                'Client(地址).predict(问题, "extractive", api_name="/ask")</code> '
                "返回与 <code>speechqa ask --json</code> 相同的 JSON。</div>",
                js_on_load=None,
            )
    return Page(
        turns=turns, selected=selected, fb_target=fb_target, status=status, kind=kind,
        doc_select=doc_select, chat=chat, question=question, send=send, examples=examples,
        fb_row=fb_row, fb_comment=fb_comment, fb_send=fb_send, clear=clear, md_btn=md_btn,
        docx_btn=docx_btn, sources=sources, strip=strip, viewer=viewer, upload_box=upload_box,
        docs_table=docs_table, delete_select=delete_select, delete_btn=delete_btn,
        confirm_row=confirm_row, confirm_text=confirm_text, confirm_btn=confirm_btn,
        cancel_btn=cancel_btn, answer_mode=answer_mode, top_k=top_k, llm_box=llm_box,
    )  # fmt: skip


def theme() -> Any:
    return gr.themes.Soft(
        primary_hue=gr.themes.colors.red,
        secondary_hue=gr.themes.colors.stone,
        neutral_hue=gr.themes.colors.stone,
        font=list(FONTS),
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    ).set(
        block_label_background_fill="*neutral_100",
        block_label_text_color="*neutral_700",
        block_title_text_color="*neutral_700",
        button_primary_background_fill="#b3261e",
        button_primary_background_fill_hover="#8f1d17",
        button_primary_text_color="white",
        # Deleting (variant="stop") reads as destructive: red on white.
        button_cancel_background_fill="#fff5f5",
        button_cancel_background_fill_hover="#fee2e2",
        button_cancel_border_color="#b3261e",
        button_cancel_border_color_hover="#8f1d17",
        button_cancel_text_color="#b3261e",
        button_cancel_text_color_hover="#8f1d17",
    )
