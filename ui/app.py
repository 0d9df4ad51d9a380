"""The Gradio web chat: chat with streamed, cited answers; sources, paragraph strip
and full-text viewer; documents; settings; the ``ask`` endpoint for scripts.

Errors from the core (SpeechQAError) become a toast with their one-line message;
anything unexpected is logged here and shown as a short Chinese notice, never as a
traceback.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Before Gradio is imported: a staff tool never phones home (and tests block it), and
# the queue need not rebuild its monitoring summary (a pandas DataFrame) after every event.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100000")

import gradio as gr

from ingest.parse import ParsedDocument
from speechqa.errors import ConfigError, DocumentError, EmptyIndexError, SpeechQAError
from speechqa.settings import AnswerMode, Settings

from . import feedback
from .export import conversation_markdown, write_docx
from .render import chat_html, esc, is_quote, sources_html, strip_html, viewer_html
from .style import CHAT_JS, CSS, FONTS, PANEL_JS, VIEWER_JS
from .turns import MODE_LABELS, Turn, find_turn

if TYPE_CHECKING:
    from rag.service import Assistant

log = logging.getLogger("speechqa.ui")

ALL_DOCS = "__all__"
KIND_ANSWER, KIND_QUOTE = "问答", "摘引"
LLM_STATES = {
    "ready": ("就绪", "ok"),
    "not configured": ("未配置", "off"),
    "failing": ("故障，已回退到抽取式", "bad"),
}
EXAMPLES = (
    "一共开展了几次集中学习？",
    "今年工作的主要任务是什么？",
    "对党员干部提出了哪些纪律要求？",
)
PLACEHOLDERS = {
    KIND_ANSWER: "就讲话内容提问，例如：一共开展了几次集中学习？（回车发送）",
    KIND_QUOTE: "输入要摘引的主题词，例如：纪律建设（回车发送）",
}
EXPORT_NAME = "讲话问答记录"
UPLOAD_HARD_CAP_FACTOR = 5
_nonce = itertools.count(1)


class Backend:
    """What every session shares: the assistant, its settings, and top-k views of it."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.export_root = Path(tempfile.gettempdir()) / "speechqa-ui"

    def refresh(self) -> None:
        """After an upload or a deletion: the corpus is reloaded."""
        self.assistant.refresh()

    def docs(self) -> dict[str, ParsedDocument]:
        try:
            return dict(self.assistant.corpus.docs)
        except SpeechQAError:
            return {}

    @property
    def llm_state(self) -> str:
        return self.assistant.llm_state

    def note_llm_state(self, used: Assistant) -> None:
        if used is not self.assistant:
            self.assistant.llm_state = used.llm_state

    def max_bytes(self) -> int:
        return int(self.settings.max_file_mb * 1e6)


# ---- small views ---------------------------------------------------------------
def status_html(backend: Backend, answer_mode: str) -> str:
    docs = backend.docs()
    state, cls = LLM_STATES.get(backend.llm_state, (backend.llm_state, "off"))
    mode = MODE_LABELS.get(answer_mode, answer_mode)
    warn = ' class="sq-warn"' if cls == "bad" else ""
    return (
        f'<div class="sq-status">文档 <b>{len(docs)}</b> 篇 · 回答方式 <b>{esc(mode)}</b> · '
        f"大模型 <span{warn}>{esc(state)}</span></div>"
    )


def llm_html(backend: Backend) -> str:
    state, cls = LLM_STATES.get(backend.llm_state, (backend.llm_state, "off"))
    s = backend.settings
    if s.llm_configured():
        where = f"模型 {esc(s.llm.model)} · 地址 {esc(s.llm_base_url() or '（OpenAI 默认）')}"
    else:
        where = (
            "未配置：设置 SPEECHQA_LLM_MODEL 与 SPEECHQA_LLM_BASE_URL（或 OPENAI_API_KEY）后重启，"
            "即可使用大模型回答；不配置时使用离线的抽取式回答。"
        )
    return (
        f'<div class="sq-llm">大模型服务：<b class="{cls}">{esc(state)}</b>'
        f'<div class="sq-hint">{where}</div></div>'
    )


def welcome_html(docs: dict[str, ParsedDocument]) -> str:
    if not docs:
        return (
            "<h3>还没有导入讲话稿</h3>请到上方“文档”页上传 .txt / .md / .docx 文件，"
            "或在终端运行 <code>speechqa ingest</code> 导入随附的示例讲话。"
        )
    titles = "、".join(f"《{esc(d.title)}》" for d in list(docs.values())[:3])
    more = f"等 {len(docs)} 篇" if len(docs) > 3 else ""
    return (
        f"<h3>您好，我可以回答关于{titles}{more}的问题。</h3>"
        "<ul><li>回答只依据讲话原文，每句都标注出处 <span class='sq-chip sq-plain'>¶n</span>，"
        "点击编号即可在右侧全文中定位、核对。</li>"
        "<li>讲话没有涉及的问题，会明确告诉您，并列出最接近的段落。</li>"
        "<li>切换到“摘引”，输入主题词，可得到可直接粘贴的原文引文「…」（第n段）。</li></ul>"
    )


def docs_table_html(backend: Backend) -> str:
    try:
        records = backend.assistant.documents()
    except SpeechQAError as exc:
        return f'<div class="sq-empty">{esc(exc.chinese)}</div>'
    if not records:
        return '<div class="sq-empty">索引中还没有文档。</div>'
    rows = "".join(
        f"<tr><td>{esc(r.title)}</td><td><code>{esc(r.doc_id)}</code></td>"
        f"<td>{r.paragraphs}</td><td>{esc(r.encoding)}</td>"
        f"<td>{esc(Path(r.source).name)}</td><td>{esc(r.ingested_at[:16].replace('T', ' '))}</td></tr>"
        for r in records
    )
    return (
        '<table class="sq-doctable"><thead><tr><th>标题</th><th>文档编号</th><th>段落</th>'
        f"<th>编码</th><th>来源文件</th><th>导入时间</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def doc_choices(docs: dict[str, ParsedDocument]) -> list[tuple[str, str]]:
    """(label, doc_id) for the document picker: the title, numbered when several
    documents share it."""
    total = Counter(d.title for d in docs.values())
    seen: Counter[str] = Counter()
    out = []
    for d in docs.values():
        seen[d.title] += 1
        label = d.title if total[d.title] == 1 else f"{d.title}（{seen[d.title]}）"
        out.append((label, d.doc_id))
    return out


def _size(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} KB"


def _doc_or_none(choice: str | None) -> str | None:
    return None if not choice or choice == ALL_DOCS else choice


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# Gradio renders toast messages as HTML: escape them (they quote file names and titles).
def _info(message: str) -> None:
    gr.Info(esc(message), title="提示")


def _warn(message: str) -> None:
    gr.Warning(esc(message), title="注意")


def _api_error(message: str) -> gr.Error:
    """An expected error for a script: its message, and no traceback in the server log."""
    return gr.Error(message, title="出错了", print_exception=False)


def _fail(exc: BaseException) -> str:
    """The message a user of the page sees for an error (scripts get str(exc) as is)."""
    if isinstance(exc, EmptyIndexError):
        return "还没有导入任何讲话稿：请在“文档”页上传，或在终端运行 speechqa ingest。"
    if isinstance(exc, DocumentError):
        return f"无法导入：{exc.chinese}"
    if isinstance(exc, SpeechQAError):
        return exc.chinese
    log.exception("unexpected error in the web chat")
    return f"出现意外错误（{type(exc).__name__}），请重试；若反复出现，请联系管理员查看服务日志。"


# ---- the app ---------------------------------------------------------------------
def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    backend = Backend(assistant, settings)
    default_mode = (
        "llm" if settings.answer.mode == "llm" and settings.llm_configured() else "extractive"
    )

    def focus_view(
        turns: list[Turn], turn_id: str | None, doc_id: str | None, para: int | None, span: Any
    ) -> tuple[str, str, str]:
        """Sources, strip and viewer for a turn, the viewer on ``doc_id`` at ¶``para``."""
        docs = backend.docs()
        turn = find_turn(turns, turn_id)
        doc = docs.get(doc_id or "") or docs.get((turn.doc_id if turn else None) or "")
        if doc is None and docs:
            doc = next(iter(docs.values()))
        return (
            sources_html(turn, docs),
            strip_html(doc, turn, para),
            viewer_html(doc, turn, para, span, next(_nonce)),
        )

    def first_focus(turn: Turn) -> tuple[int | None, tuple[int, int] | None]:
        """Where the viewer opens after an answer: its first quote, else its first cited
        (or nearest) paragraph."""
        for c in turn.citations + turn.quotes:
            s, e = c.get("start"), c.get("end")
            if is_quote(c) and isinstance(s, int) and isinstance(e, int):
                return int(c["paragraph"]), (s, e)
        paras = turn.cited_paragraphs() or turn.near_paragraphs()
        return (paras[0], None) if paras else (None, None)

    def exports(turns: list[Turn], request: gr.Request | None) -> tuple[Any, Any]:
        if not turns:
            return gr.DownloadButton(value=None, interactive=False), gr.DownloadButton(
                value=None, interactive=False
            )
        docs = backend.docs()
        session = (request.session_hash if request else None) or "local"
        folder = backend.export_root / "".join(ch for ch in session if ch.isalnum())[:40]
        folder.mkdir(parents=True, exist_ok=True)
        md = folder / f"{EXPORT_NAME}.md"
        md.write_text(conversation_markdown(turns, docs), encoding="utf-8")
        docx = write_docx(turns, docs, folder / f"{EXPORT_NAME}.docx")
        return gr.DownloadButton(value=str(md), interactive=True), gr.DownloadButton(
            value=str(docx), interactive=True
        )

    # -- chat ---------------------------------------------------------------------
    def respond(
        question: str,
        turns: list[Turn],
        kind: str,
        doc_choice: str | None,
        answer_mode: str,
        top_k: float | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer (or quote result) into the conversation."""
        skip = gr.skip()
        question = (question or "").strip()
        turns = list(turns or [])
        docs = backend.docs()
        if not question:
            _warn("请先输入问题。" if kind != KIND_QUOTE else "请先输入要摘引的主题词。")
            yield (skip,) * 11
            return
        welcome = welcome_html(docs)
        yield (
            chat_html(turns, docs, pending_question=question, welcome=welcome),
            skip, "", skip, skip, skip, skip, skip, skip, skip, skip,
        )  # fmt: skip
        used = backend.assistant
        k = _int(top_k)
        doc = _doc_or_none(doc_choice)
        try:
            if kind == KIND_QUOTE:
                result = used.quote(question, doc=doc, limit=k or 5)
                turn = Turn(
                    kind="quote",
                    question=question,
                    doc_id=result.doc_id,
                    mode="quote",
                    quote=result.to_dict(),
                    quote_markdown=result.to_markdown(),
                )
            else:
                history = [
                    str((t.answer or {}).get("standalone_question") or t.question)
                    for t in turns
                    if t.kind == "answer"
                ]
                mode: AnswerMode = "llm" if answer_mode == "llm" else "extractive"
                text, final = "", None
                for event in used.stream(question, doc=doc, mode=mode, history=history, k=k):
                    if event.kind == "final":
                        final = event.answer
                        continue
                    # "restart": the model's text so far is void (a retry, or the fallback).
                    text = text + event.text if event.kind == "delta" else ""
                    yield (
                        chat_html(turns, docs, pending_question=question, pending_text=text),
                        skip, skip, skip, skip, skip, skip, skip, skip, skip, skip,
                    )  # fmt: skip
                if final is None:  # pragma: no cover - stream always ends with final
                    raise ConfigError("the answer stream ended without an answer; try again.")
                backend.note_llm_state(used)
                turn = Turn(
                    kind="answer",
                    question=question,
                    doc_id=final.doc_id,
                    mode=final.mode,
                    answer=final.to_dict(),
                )
        except Exception as exc:
            _warn(_fail(exc))
            yield (
                chat_html(turns, docs, welcome=welcome),
                turns, question, skip, skip, skip, skip, skip, skip,
                status_html(backend, answer_mode), llm_html(backend),
            )  # fmt: skip
            return
        turns.append(turn)
        docs = backend.docs()
        para, span = first_focus(turn)
        sources, strip, viewer = focus_view(turns, turn.id, turn.doc_id, para, span)
        md, docx = exports(turns, request)
        yield (
            chat_html(turns, docs),
            turns, skip, sources, strip, viewer, turn.id, md, docx,
            status_html(backend, answer_mode), llm_html(backend),
        )  # fmt: skip

    def on_panel_click(
        turns: list[Turn], evt: gr.EventData
    ) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
        """A click on a chip, strip cell or 👍/👎 inside one of the HTML panels."""
        data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
        act = data.get("act")
        skip = gr.skip()
        if act == "cite":
            para = _int(data.get("para"))
            start, end = _int(data.get("start")), _int(data.get("end"))
            span = (start, end) if start is not None and end is not None else None
            turn_id = data.get("turn") or None
            sources, strip, viewer = focus_view(turns, turn_id, data.get("doc") or None, para, span)
            return sources, strip, viewer, turn_id or skip, skip, skip, skip
        if act == "fb":
            turn = find_turn(turns, data.get("turn"))
            rating = data.get("rating")
            if turn is None or turn.id != data.get("turn") or rating not in ("up", "down"):
                return (skip,) * 7
            try:
                feedback.append(settings.store, turn, rating)
            except SpeechQAError as exc:
                _warn(exc.chinese)
                return (skip,) * 7
            _info("已记录您的评价，谢谢！如愿意，可在下方补充说明。")
            label = f"对“{turn.question[:30]}”的回答{'有帮助' if rating == 'up' else '没帮助'}：补充说明（可选）"
            return (
                skip, skip, skip, skip,
                gr.Row(visible=True), gr.Textbox(label=label, value=""), (turn.id, rating),
            )  # fmt: skip
        return (skip,) * 7

    def submit_comment(
        comment: str, target: tuple[str, str] | None, turns: list[Turn]
    ) -> tuple[Any, Any, Any]:
        turn = find_turn(turns, target[0]) if target else None
        if not target or turn is None or turn.id != target[0]:
            return gr.Row(visible=False), "", None
        if comment.strip():
            try:
                feedback.append(settings.store, turn, target[1], comment)  # type: ignore[arg-type]
            except SpeechQAError as exc:
                _warn(exc.chinese)
                return gr.skip(), gr.skip(), gr.skip()
            _info("已收到补充说明，谢谢！")
        return gr.Row(visible=False), "", None

    def clear_chat(request: gr.Request) -> tuple[Any, ...]:
        docs = backend.docs()
        sources, strip, viewer = focus_view([], None, None, None, None)
        md, docx = exports([], request)
        return (
            chat_html([], docs, welcome=welcome_html(docs)),
            [], sources, strip, viewer, None, md, docx, gr.Row(visible=False),
        )  # fmt: skip

    # -- page load and documents ------------------------------------------------------
    def doc_updates(docs: dict[str, ParsedDocument], keep: str | None = None) -> tuple[Any, Any]:
        choices = [("全部文档", ALL_DOCS), *doc_choices(docs)]
        value = keep if keep in docs else ALL_DOCS
        selector = gr.Dropdown(choices=choices, value=value, visible=len(docs) > 1)
        deleter = gr.Dropdown(
            choices=doc_choices(docs), value=next(iter(docs), None) if docs else None
        )
        return selector, deleter

    def on_load(turns: list[Turn], answer_mode: str) -> tuple[Any, ...]:
        docs = backend.docs()
        selector, deleter = doc_updates(docs)
        sources, strip, viewer = focus_view(turns or [], None, None, None, None)
        return (
            chat_html(turns or [], docs, welcome=welcome_html(docs)),
            selector, deleter, sources, strip, viewer, docs_table_html(backend),
            status_html(backend, answer_mode), llm_html(backend),
        )  # fmt: skip

    def after_docs_change(
        turns: list[Turn], answer_mode: str, doc_choice: str | None, show: str | None
    ) -> tuple[Any, ...]:
        docs = backend.docs()
        selector, deleter = doc_updates(docs, doc_choice)
        sources, strip, viewer = focus_view(turns or [], None, show, None, None)
        return (
            chat_html(turns or [], docs, welcome=welcome_html(docs)),
            selector, deleter, sources, strip, viewer, docs_table_html(backend),
            status_html(backend, answer_mode),
        )  # fmt: skip

    def upload(
        path: str | None,
        turns: list[Turn],
        answer_mode: str,
        doc_choice: str | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's documented idiom
    ) -> tuple[Any, ...]:
        from ingest.load import load_bytes
        from ingest.pipeline import ingest_loaded

        skip = gr.skip()
        if not path:
            return (skip,) * 9
        name = Path(path).name
        shown: str | None = None
        try:
            data = Path(path).read_bytes()
            limit = backend.max_bytes()
            if len(data) > limit:
                raise DocumentError(
                    f"{name}：文件大小 {_size(len(data))}，超过 {_size(limit)} 的上限；"
                    "请拆分文件，或调大 SPEECHQA_MAX_FILE_MB 后重启。"
                )
            progress(0, desc=f"正在读取 {name}")
            loaded = load_bytes(data, name)

            def tick(done: int, total: int) -> None:
                progress((done, total), desc="正在向量化", unit="块")

            summary = ingest_loaded(backend.assistant.index, [loaded], tick)
            backend.refresh()
            shown = summary.doc_ids[0] if summary.doc_ids else None
            title = backend.docs()[shown].title if shown in backend.docs() else name
            _info(
                f"已导入《{title}》：{summary.paragraphs} 段，"
                f"新计算向量 {summary.embedded} 个（编码 {loaded.encoding}）。"
            )
        except Exception as exc:
            _warn(_fail(exc))
            return (None, *after_docs_change(turns, answer_mode, doc_choice, None))
        return (None, *after_docs_change(turns, answer_mode, doc_choice, shown))

    def ask_delete(doc_id: str | None) -> tuple[Any, Any]:
        docs = backend.docs()
        if not doc_id or doc_id not in docs:
            _warn("请先选择要删除的文档。")
            return gr.Row(visible=False), ""
        return gr.Row(visible=True), (
            f"<div class='sq-hint'>确定从索引中删除《{esc(docs[doc_id].title)}》"
            f"（<code>{esc(doc_id)}</code>）吗？删除后需重新上传才能再次提问。</div>"
        )

    def do_delete(
        doc_id: str | None, turns: list[Turn], answer_mode: str, doc_choice: str | None
    ) -> tuple[Any, ...]:
        try:
            if not doc_id:
                raise ConfigError("请先选择要删除的文档。")
            title = backend.docs().get(doc_id)
            backend.assistant.index.delete(doc_id)
            backend.refresh()
            _info(f"已删除《{title.title if title else doc_id}》。")
        except Exception as exc:
            _warn(_fail(exc))
        return (gr.Row(visible=False), *after_docs_change(turns, answer_mode, doc_choice, None))

    def on_answer_mode(mode: str) -> tuple[Any, Any]:
        if mode == "llm" and not settings.llm_configured():
            _warn(
                "未配置大模型服务：请设置 SPEECHQA_LLM_MODEL 与 SPEECHQA_LLM_BASE_URL"
                "（或 OPENAI_API_KEY）后重启；现继续使用抽取式回答。"
            )
            return "extractive", status_html(backend, "extractive")
        return mode, status_html(backend, mode)

    def on_kind(kind: str) -> Any:
        return gr.Textbox(placeholder=PLACEHOLDERS.get(kind, PLACEHOLDERS[KIND_ANSWER]))

    # -- API for scripts --------------------------------------------------------------
    def ask(question: str, mode: str = "extractive") -> dict[str, Any]:
        """Answer a question about the ingested speech(es).

        Returns the result object of ``speechqa ask --json``: answer, citations with
        offsets and verification, refusal flag, nearest paragraphs, timings.
        mode: "extractive" (offline) or "llm" (needs a configured endpoint).
        """
        if mode not in ("extractive", "llm"):
            raise _api_error(f"mode must be 'extractive' or 'llm', not {mode!r}.")
        try:
            answer = backend.assistant.ask(question, mode=mode)
        except SpeechQAError as exc:
            raise _api_error(str(exc)) from None
        except Exception as exc:
            raise _api_error(_fail(exc)) from None
        return answer.to_dict()

    # -- layout ---------------------------------------------------------------------
    private: dict[str, Any] = {"api_visibility": "private"}
    free: dict[str, Any] = {**private, "concurrency_limit": None, "show_progress": "hidden"}

    with gr.Blocks(
        title="讲话问答", analytics_enabled=False, fill_width=True, delete_cache=(3600, 86400)
    ) as demo:
        turns_state = gr.State([])
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
            status = gr.HTML(js_on_load=None, scale=2, min_width=260)
        with gr.Tabs():
            with gr.Tab("问答", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=11, min_width=420):
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
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder=PLACEHOLDERS[KIND_ANSWER],
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
                    with gr.Row(elem_classes="sq-examples"):
                        example_buttons = [
                            gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES
                        ]
                    with gr.Row(visible=False) as fb_row:
                        fb_comment = gr.Textbox(
                            label="补充说明（可选）",
                            placeholder="哪里好、哪里不对？例如：引用的段落不对",
                            scale=6,
                            elem_id="sq-fbcomment",
                        )
                        fb_send = gr.Button("提交说明", scale=1, min_width=90, elem_id="sq-fbsend")
                    with gr.Row(elem_classes="sq-actions"):
                        clear = gr.Button("清空对话", size="sm", variant="secondary")
                        md_btn = gr.DownloadButton(
                            "导出 Markdown", size="sm", interactive=False, elem_id="sq-export-md"
                        )
                        docx_btn = gr.DownloadButton(
                            "导出 Word", size="sm", interactive=False, elem_id="sq-export-docx"
                        )
                with gr.Column(scale=9, min_width=360, elem_classes="sq-side"):
                    sources = gr.HTML(
                        sources_html(None, {}), js_on_load=PANEL_JS, elem_id="sq-sources"
                    )
                    strip = gr.HTML(js_on_load=PANEL_JS, elem_id="sq-strip")
                    viewer = gr.HTML(js_on_load=VIEWER_JS, elem_id="sq-viewer")
            with gr.Tab("文档", id="docs"):
                with gr.Row(equal_height=True):
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
                with gr.Row():
                    delete_select = gr.Dropdown(
                        label="删除文档", choices=[], scale=4, elem_id="sq-delete"
                    )
                    delete_btn = gr.Button("删除…", variant="stop", scale=1, min_width=90)
                with gr.Row(visible=False) as confirm_row:
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
                llm_box = gr.HTML(llm_html(backend), js_on_load=None, elem_id="sq-llmstate")
                gr.HTML(
                    f"<div class='sq-hint'>数据目录：<code>{esc(settings.store)}</code>；"
                    f"评价记录写入 <code>{esc(feedback.feedback_path(settings.store))}</code>。"
                    f"同时计算的回答数：{settings.ui.concurrency}。</div>"
                    "<div class='sq-hint'>脚本调用：<code>from gradio_client import Client; "
                    'Client(地址).predict(问题, "extractive", api_name="/ask")</code> '
                    "返回与 <code>speechqa ask --json</code> 相同的 JSON。</div>",
                    js_on_load=None,
                )

        # -- events ---------------------------------------------------------------------
        chat_inputs = [question, turns_state, kind, doc_select, answer_mode, top_k]
        chat_outputs = [
            chat, turns_state, question, sources, strip, viewer, selected, md_btn, docx_btn, status,
            llm_box,
        ]  # fmt: skip
        run: dict[str, Any] = {**private, "show_progress": "hidden", "trigger_mode": "once"}
        question.submit(respond, chat_inputs, chat_outputs, **run)
        send.click(respond, chat_inputs, chat_outputs, **run)
        for button in example_buttons:
            button.click(_fill(button.value, KIND_ANSWER), None, [question, kind], **free).then(
                respond, chat_inputs, chat_outputs, **run
            )
        panel_outputs = [sources, strip, viewer, selected, fb_row, fb_comment, fb_target]
        for panel in (chat, sources, strip, viewer):
            panel.click(on_panel_click, [turns_state], panel_outputs, **free)
        fb_send.click(
            submit_comment,
            [fb_comment, fb_target, turns_state],
            [fb_row, fb_comment, fb_target],
            **free,
        )
        fb_comment.submit(
            submit_comment,
            [fb_comment, fb_target, turns_state],
            [fb_row, fb_comment, fb_target],
            **free,
        )
        clear.click(
            clear_chat,
            None,
            [chat, turns_state, sources, strip, viewer, selected, md_btn, docx_btn, fb_row],
            **free,
        )
        kind.change(on_kind, kind, question, **free)
        answer_mode.change(on_answer_mode, answer_mode, [answer_mode, status], **free).then(
            lambda: llm_html(backend), None, llm_box, **free
        )
        docs_outputs = [chat, doc_select, delete_select, sources, strip, viewer, docs_table, status]
        upload_box.upload(
            upload,
            [upload_box, turns_state, answer_mode, doc_select],
            [upload_box, *docs_outputs],
            api_visibility="private",
            show_progress="full",
            show_progress_on=[docs_table],
        )
        delete_btn.click(ask_delete, delete_select, [confirm_row, confirm_text], **free)
        cancel_btn.click(lambda: gr.Row(visible=False), None, confirm_row, **free)
        confirm_btn.click(
            do_delete,
            [delete_select, turns_state, answer_mode, doc_select],
            [confirm_row, *docs_outputs],
            **private,
        )
        demo.load(
            on_load,
            [turns_state, answer_mode],
            [chat, doc_select, delete_select, sources, strip, viewer, docs_table, status, llm_box],
            **free,
        )
        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=settings.ui.concurrency)
    return demo


def _fill(text: str, kind: str) -> Callable[[], tuple[str, str]]:
    def fill() -> tuple[str, str]:
        return text, kind

    return fill


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
    )


def launch(
    settings: Settings,
    *,
    host: str,
    port: int,
    login: tuple[str, str] | None,
    assistant: Assistant | None = None,
    block: bool = True,
    quiet: bool = True,
) -> tuple[gr.Blocks, str]:
    """Build and start the web chat; returns (app, local URL). ``block=False`` for tests."""
    from speechqa.factory import build_assistant

    assistant = assistant or build_assistant(settings)
    demo = build_app(assistant, settings)
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        auth=login,
        auth_message="讲话问答：请输入用户名和密码。" if login else None,
        # Gradio's own refusal is English and terse; ours (Chinese, says what to do) runs
        # for anything up to this hard cap, which only protects the server from huge uploads.
        max_file_size=int(settings.max_file_mb * 1e6 * UPLOAD_HARD_CAP_FACTOR),
        prevent_thread_lock=True,
        quiet=quiet,
        show_error=False,
        footer_links=[],
        enable_monitoring=False,
        theme=theme(),
        css=CSS,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
    )
    threading.Thread(target=_warm_up, args=(assistant,), daemon=True).start()
    if block:
        demo.block_thread()
    return demo, url


def _warm_up(assistant: Assistant) -> None:
    """Load the corpus, the embedder and jieba before the first question arrives."""
    try:
        assistant.search("讲话的主要内容")
    except SpeechQAError:
        pass  # an empty index: the page says how to add a document
    except Exception:  # pragma: no cover - warm-up must never take the server down
        log.exception("warm-up failed")


__all__: Sequence[str] = ("build_app", "launch", "theme")
