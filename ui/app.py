"""The Gradio web chat: chat with streamed, cited answers; sources, paragraph strip
and full-text viewer; documents; settings; the ``ask`` endpoint for scripts.

The page is built in :func:`build_app` (layout and wiring only). Each event is a
module-level handler whose first argument is the :class:`App` (the shared backend and
the page's components) and which returns, or yields, a dict keyed by the components it
changes; those it leaves out stay as they are. The HTML comes from :mod:`ui.render`.

Errors from the core (SpeechQAError) become a notice with their one-line message;
anything unexpected is logged here and shown as a short Chinese notice, never as a
traceback.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import os
import tempfile
import threading
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Before Gradio is imported: a staff tool never phones home (and tests block it), and
# the queue need not rebuild its monitoring summary (a pandas DataFrame) after every event.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100000")

import gradio as gr

from ingest.load import load_bytes, read_limited
from ingest.parse import ParsedDocument
from ingest.store import chroma_down, is_unreachable
from speechqa.errors import ConfigError, DocumentError, EmptyIndexError, SpeechQAError
from speechqa.settings import AnswerMode, Settings

from . import feedback
from .export import conversation_markdown, write_docx
from .render import (
    chat_html,
    doc_choices,
    docs_table_html,
    esc,
    is_quote,
    llm_state_html,
    sources_html,
    status_html,
    strip_html,
    viewer_html,
    welcome_html,
)
from .style import CHAT_JS, CSS, FONTS, HEAD, PANEL_JS, VIEWER_JS
from .turns import Turn, find_turn

if TYPE_CHECKING:
    from rag.service import Assistant

log = logging.getLogger("speechqa.ui")

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
EXPORT_NAME = "讲话问答记录"
UPLOAD_HARD_CAP_FACTOR = 5
# Notices are short and one at a time (the page's CSS shows only the newest).
NOTICE_SECONDS = 4
_nonce = itertools.count(1)
# Counts the question's characters as it is typed (the limit is also enforced by the
# box itself and by the server).
COUNT_JS = """(q) => {
  const el = document.getElementById('sq-qcount');
  if (el) {
    const max = Number(el.dataset.max), n = [...(q || '')].length;
    el.textContent = n + ' / ' + max + ' 字（问题最长 ' + max + ' 字）';
    el.classList.toggle('sq-warn', n >= max);
  }
  return [];
}"""


# After a 👍/👎 click (flagged by the panel script): the comment box that opened is
# brought into the window (on a phone it is below the conversation).
SHOW_COMMENT_JS = """() => {
  if (!window.sqFeedbackClicked) return [];
  window.sqFeedbackClicked = false;
  const box = document.getElementById('sq-fbrow');
  if (box && box.offsetParent !== null) {
    requestAnimationFrame(() => box.scrollIntoView({block: 'nearest'}));
  }
  return [];
}"""


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
            self.assistant.sync()
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

    def status(self, answer_mode: str) -> str:
        return status_html(len(self.docs()), self.llm_state, answer_mode)

    def docs_table(self) -> str:
        try:
            return docs_table_html(self.assistant.documents())
        except SpeechQAError as exc:
            return docs_table_html(exc.chinese)


def llm_html(backend: Backend) -> str:
    """The LLM service's state in 设置 (credentials in its URL masked)."""
    return llm_state_html(backend.settings, backend.llm_state)


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


@dataclass
class App:
    """What a handler works with: the shared backend and the page."""

    backend: Backend
    page: Page

    @property
    def settings(self) -> Settings:
        return self.backend.settings


Update = dict[Any, Any]


# ---- helpers ---------------------------------------------------------------------
def _doc_or_none(choice: str | None) -> str | None:
    return None if not choice or choice == ALL_DOCS else choice


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# Gradio renders notice messages as HTML: escape them (they quote file names and titles).
def _info(message: str) -> None:
    gr.Info(esc(message), title="提示", duration=NOTICE_SECONDS)


def _warn(message: str) -> None:
    gr.Warning(esc(message), title="注意", duration=NOTICE_SECONDS)


def _api_error(message: str) -> gr.Error:
    """An expected error for a script: its message, and no traceback in the server log."""
    return gr.Error(message, title="出错了", print_exception=False)


def _fail(exc: BaseException, settings: Settings | None = None) -> str:
    """The message a user of the page sees for an error (scripts get str(exc) as is)."""
    if isinstance(exc, EmptyIndexError):
        return "还没有导入任何讲话稿：请在“文档”页上传，或在终端运行 speechqa ingest。"
    if isinstance(exc, DocumentError):
        return f"无法导入：{exc.chinese}"
    if isinstance(exc, SpeechQAError):
        return exc.chinese
    if settings is not None and settings.chroma_url and is_unreachable(exc):
        return chroma_down(settings.chroma_url).chinese
    log.exception("unexpected error in the web chat")
    return f"出现意外错误（{type(exc).__name__}），请重试；若反复出现，请联系管理员查看服务日志。"


def focus_view(
    app: App,
    turns: list[Turn],
    turn_id: str | None,
    doc_id: str | None,
    para: int | None,
    span: tuple[int, int] | None,
) -> Update:
    """Sources, strip and viewer in step: the viewer on ``doc_id`` (else the turn's
    document) at ¶``para``; the turn's sources and lit cells only when the viewer shows
    the turn's document (after an upload or a deletion it may show another)."""
    p = app.page
    docs = app.backend.docs()
    turn = find_turn(turns, turn_id)
    doc = docs.get(doc_id or "") or docs.get((turn.doc_id if turn else None) or "")
    if doc is None and docs:
        doc = next(iter(docs.values()))
    empty = ""
    if turn is not None and (doc is None or turn.doc_id != doc.doc_id):
        empty = (
            f"全文已切换到《{esc(doc.title)}》。提问后，这里列出回答引用的原文段落。"
            if doc is not None
            else ""
        )
        turn = None
    return {
        p.sources: sources_html(turn, docs, empty),
        p.strip: strip_html(doc, turn, para),
        p.viewer: viewer_html(doc, turn, para, span, next(_nonce)),
        p.selected: turn.id if turn else None,
    }


def first_focus(turn: Turn) -> tuple[int | None, tuple[int, int] | None]:
    """Where the viewer opens after an answer: its first quote, else its first cited
    (or nearest) paragraph."""
    for c in turn.citations + turn.quotes:
        s, e = c.get("start"), c.get("end")
        if is_quote(c) and isinstance(s, int) and isinstance(e, int):
            return int(c["paragraph"]), (s, e)
    paras = turn.cited_paragraphs() or turn.near_paragraphs()
    return (paras[0], None) if paras else (None, None)


def exports(app: App, turns: list[Turn], request: gr.Request | None) -> Update:
    """The two download buttons: the conversation as Markdown and as Word."""
    p = app.page
    if not turns:
        return {
            p.md_btn: gr.DownloadButton(value=None, interactive=False),
            p.docx_btn: gr.DownloadButton(value=None, interactive=False),
        }
    docs = app.backend.docs()
    session = (request.session_hash if request else None) or "local"
    folder = app.backend.export_root / "".join(ch for ch in session if ch.isalnum())[:40]
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / f"{EXPORT_NAME}.md"
    md.write_text(conversation_markdown(turns, docs), encoding="utf-8")
    docx = write_docx(turns, docs, folder / f"{EXPORT_NAME}.docx")
    return {
        p.md_btn: gr.DownloadButton(value=str(md), interactive=True),
        p.docx_btn: gr.DownloadButton(value=str(docx), interactive=True),
    }


def doc_pickers(docs: dict[str, ParsedDocument], p: Page, keep: str | None = None) -> Update:
    """The chat's document selector (shown with two documents or more) and the delete
    list, which selects nothing: deleting is always a deliberate pick."""
    choices = [("全部文档", ALL_DOCS), *doc_choices(docs)]
    return {
        p.doc_select: gr.Dropdown(
            choices=choices, value=keep if keep in docs else ALL_DOCS, visible=len(docs) > 1
        ),
        p.delete_select: gr.Dropdown(choices=doc_choices(docs), value=None),
    }


def hide_feedback(p: Page) -> Update:
    """The feedback comment box closed and forgotten."""
    return {p.fb_row: gr.Row(visible=False), p.fb_comment: "", p.fb_target: None}


# ---- chat ------------------------------------------------------------------------
def respond(
    app: App,
    question: str,
    turns: list[Turn],
    kind: str,
    doc_choice: str | None,
    answer_mode: str,
    top_k: float | None,
    request: gr.Request,
) -> Iterator[Update]:
    """Stream one answer (or quote result) into the conversation."""
    p, backend = app.page, app.backend
    question = (question or "").strip()
    turns = list(turns or [])
    docs = backend.docs()
    if not question:
        _warn("请先输入问题。" if kind != KIND_QUOTE else "请先输入要摘引的主题词。")
        yield gr.skip()
        return
    welcome = welcome_html(docs)
    # A new question closes the comment box of an earlier answer.
    yield {
        p.chat: chat_html(turns, docs, pending_question=question, welcome=welcome),
        p.question: "",
        **hide_feedback(p),
    }
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
                yield {p.chat: chat_html(turns, docs, pending_question=question, pending_text=text)}
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
        _warn(_fail(exc, app.settings))
        yield {
            p.chat: chat_html(turns, docs, welcome=welcome),
            p.turns: turns,
            p.question: question,
            p.status: backend.status(answer_mode),
            p.llm_box: llm_html(backend),
        }
        return
    turns.append(turn)
    para, span = first_focus(turn)
    yield {
        p.chat: chat_html(turns, backend.docs()),
        p.turns: turns,
        **focus_view(app, turns, turn.id, turn.doc_id, para, span),
        **exports(app, turns, request),
        p.status: backend.status(answer_mode),
        p.llm_box: llm_html(backend),
    }


def on_panel_click(app: App, turns: list[Turn], evt: gr.EventData) -> Update:
    """A click on a chip, strip cell or 👍/👎 inside one of the HTML panels."""
    p = app.page
    data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
    act = data.get("act")
    if act == "cite":
        para = _int(data.get("para"))
        start, end = _int(data.get("start")), _int(data.get("end"))
        span = (start, end) if start is not None and end is not None else None
        return focus_view(app, turns, data.get("turn") or None, data.get("doc") or None, para, span)
    if act != "fb":
        return gr.skip()
    turn = find_turn(turns, data.get("turn"))
    rating = data.get("rating")
    if turn is None or turn.id != data.get("turn") or rating not in ("up", "down"):
        return gr.skip()
    try:
        feedback.append(app.settings.store, turn, rating)
    except SpeechQAError as exc:
        _warn(exc.chinese)
        return gr.skip()
    _info("已记录您的评价，谢谢！如愿意，可在下方补充说明。")
    verdict = "有帮助" if rating == "up" else "没帮助"
    return {
        p.fb_row: gr.Row(visible=True),
        p.fb_comment: gr.Textbox(
            label=f"对“{turn.question[:30]}”的回答{verdict}：补充说明（可选）", value=""
        ),
        p.fb_target: (turn.id, rating),
    }


def submit_comment(
    app: App, comment: str, target: tuple[str, str] | None, turns: list[Turn]
) -> Update:
    turn = find_turn(turns, target[0]) if target else None
    if not target or turn is None or turn.id != target[0]:
        return hide_feedback(app.page)
    if comment.strip():
        try:
            feedback.append(app.settings.store, turn, target[1], comment)  # type: ignore[arg-type]
        except SpeechQAError as exc:
            _warn(exc.chinese)
            return gr.skip()
        _info("已收到补充说明，谢谢！")
    return hide_feedback(app.page)


def clear_chat(app: App, request: gr.Request) -> Update:
    p = app.page
    docs = app.backend.docs()
    return {
        p.chat: chat_html([], docs, welcome=welcome_html(docs)),
        p.turns: [],
        **focus_view(app, [], None, None, None, None),
        **exports(app, [], request),
        **hide_feedback(p),
    }


def fill_example(app: App, text: str) -> Update:
    return {app.page.question: text, app.page.kind: KIND_ANSWER}


# ---- page load and documents -------------------------------------------------------
def on_load(app: App, turns: list[Turn], answer_mode: str) -> Update:
    p, backend = app.page, app.backend
    docs = backend.docs()
    return {
        p.chat: chat_html(turns or [], docs, welcome=welcome_html(docs)),
        **doc_pickers(docs, p),
        **focus_view(app, turns or [], None, None, None, None),
        p.docs_table: backend.docs_table(),
        p.status: backend.status(answer_mode),
        p.llm_box: llm_html(backend),
    }


def after_docs_change(
    app: App, turns: list[Turn], answer_mode: str, doc_choice: str | None, show: str | None
) -> Update:
    """Everything that lists or shows documents, after an upload or a deletion; the
    viewer on ``show`` (the new document) and the sources panel in step with it."""
    p, backend = app.page, app.backend
    docs = backend.docs()
    return {
        p.chat: chat_html(turns or [], docs, welcome=welcome_html(docs)),
        **doc_pickers(docs, p, doc_choice),
        **focus_view(app, turns or [], None, show, None, None),
        p.docs_table: backend.docs_table(),
        p.status: backend.status(answer_mode),
    }


def upload(
    app: App,
    path: str | None,
    turns: list[Turn],
    answer_mode: str,
    doc_choice: str | None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's documented idiom
) -> Update:
    from ingest.pipeline import ingest_loaded

    backend = app.backend
    if not path:
        return gr.skip()
    name = Path(path).name
    shown: str | None = None
    try:
        # The same size check and bounded read as `speechqa ingest`, naming the
        # upload by its own name rather than its temporary path.
        data = read_limited(Path(path), backend.max_bytes(), name=name)
        progress(0, desc=f"正在读取 {name}")
        loaded = load_bytes(data, name)

        def tick(done: int, total: int) -> None:
            progress((done, total), desc="正在向量化", unit="块")

        summary = ingest_loaded(backend.assistant.index, [loaded], tick)
        backend.refresh()
        shown = summary.doc_ids[0] if summary.doc_ids else None
        docs = backend.docs()
        title = docs[shown].title if shown in docs else name
        _info(
            f"已导入《{title}》：{summary.paragraphs} 段，"
            f"新计算向量 {summary.embedded} 个（编码 {loaded.encoding}）。"
        )
    except Exception as exc:
        _warn(_fail(exc, app.settings))
    return {
        app.page.upload_box: None,
        **after_docs_change(app, turns, answer_mode, doc_choice, shown),
    }


def ask_delete(app: App, doc_id: str | None) -> Update:
    p = app.page
    docs = app.backend.docs()
    if not doc_id or doc_id not in docs:
        _warn("请先选择要删除的文档。")
        return {p.confirm_row: gr.Row(visible=False), p.confirm_text: ""}
    return {
        p.confirm_row: gr.Row(visible=True),
        p.confirm_text: (
            f"<div class='sq-hint'>确定从索引中删除《{esc(docs[doc_id].title)}》"
            f"（<code>{esc(doc_id)}</code>）吗？删除后需重新上传才能再次提问。</div>"
        ),
    }


def cancel_delete(app: App) -> Update:
    return {app.page.confirm_row: gr.Row(visible=False)}


def do_delete(
    app: App, doc_id: str | None, turns: list[Turn], answer_mode: str, doc_choice: str | None
) -> Update:
    backend = app.backend
    try:
        if not doc_id:
            raise ConfigError("请先选择要删除的文档。")
        title = backend.docs().get(doc_id)
        backend.assistant.index.delete(doc_id)
        backend.refresh()
        _info(f"已删除《{title.title if title else doc_id}》。")
    except Exception as exc:
        _warn(_fail(exc, app.settings))
    return {
        app.page.confirm_row: gr.Row(visible=False),
        **after_docs_change(app, turns, answer_mode, doc_choice, None),
    }


# ---- settings ----------------------------------------------------------------------
def on_answer_mode(app: App, mode: str) -> Update:
    p, backend = app.page, app.backend
    if mode == "llm" and not app.settings.llm_configured():
        _warn(
            "未配置大模型服务：请设置 SPEECHQA_LLM_MODEL 与 SPEECHQA_LLM_BASE_URL"
            "（或 OPENAI_API_KEY）后重启；现继续使用抽取式回答。"
        )
        mode = "extractive"
    return {p.answer_mode: mode, p.status: backend.status(mode), p.llm_box: llm_html(backend)}


def on_kind(app: App, kind: str) -> Update:
    placeholder = PLACEHOLDERS.get(kind, PLACEHOLDERS[KIND_ANSWER])
    return {app.page.question: gr.Textbox(placeholder=placeholder)}


# ---- API for scripts ---------------------------------------------------------------
def ask(app: App, question: str, mode: str = "extractive") -> dict[str, Any]:
    """Answer a question about the ingested speech(es).

    Returns the result object of ``speechqa ask --json``: answer, citations with
    offsets and verification, refusal flag, nearest paragraphs, timings.
    mode: "extractive" (offline) or "llm" (needs a configured endpoint).
    """
    if mode not in ("extractive", "llm"):
        raise _api_error(f"mode must be 'extractive' or 'llm', not {mode!r}.")
    try:
        answer = app.backend.assistant.ask(question, mode=mode)
    except SpeechQAError as exc:
        raise _api_error(str(exc)) from None
    except Exception as exc:
        raise _api_error(_fail(exc, app.settings)) from None
    return answer.to_dict()


def bind(fn: Callable[..., Any], app: App, *fixed: Any) -> Callable[..., Any]:
    """``fn`` with its first arguments (the App, then ``fixed``) given, as Gradio needs
    it: a plain function (a generator function for a generator) whose signature and
    resolved annotations are ``fn``'s without those arguments, so Gradio still sees
    its gr.Request, gr.EventData and gr.Progress parameters and the API its docstring.
    (functools.partial hides the annotations from Gradio.)"""
    hints = typing.get_type_hints(fn)
    params = list(inspect.signature(fn).parameters.values())
    given = {q.name for q in params[: 1 + len(fixed)]}
    bound: Callable[..., Any]
    if inspect.isgeneratorfunction(fn):

        def bound(*args: Any, **kwargs: Any) -> Any:
            yield from fn(app, *fixed, *args, **kwargs)

    else:

        def bound(*args: Any, **kwargs: Any) -> Any:
            return fn(app, *fixed, *args, **kwargs)

    bound.__name__ = bound.__qualname__ = fn.__name__
    bound.__doc__ = fn.__doc__
    bound.__module__ = fn.__module__
    bound.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [q for q in params if q.name not in given],
        return_annotation=hints.get("return", inspect.Signature.empty),
    )
    bound.__annotations__ = {k: v for k, v in hints.items() if k not in given}
    return bound


# ---- the page ------------------------------------------------------------------------
def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    backend = Backend(assistant, settings)
    with gr.Blocks(
        title="讲话问答", analytics_enabled=False, fill_width=True, delete_cache=(3600, 86400)
    ) as demo:
        app = App(backend, layout(backend))
        wire(app, demo)
    demo.queue(default_concurrency_limit=settings.ui.concurrency)
    return demo


def layout(backend: Backend) -> Page:
    """The components, inside the Blocks being built."""
    settings = backend.settings
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
    return Page(
        turns=turns, selected=selected, fb_target=fb_target, status=status, kind=kind,
        doc_select=doc_select, chat=chat, question=question, send=send, examples=examples,
        fb_row=fb_row, fb_comment=fb_comment, fb_send=fb_send, clear=clear, md_btn=md_btn,
        docx_btn=docx_btn, sources=sources, strip=strip, viewer=viewer, upload_box=upload_box,
        docs_table=docs_table, delete_select=delete_select, delete_btn=delete_btn,
        confirm_row=confirm_row, confirm_text=confirm_text, confirm_btn=confirm_btn,
        cancel_btn=cancel_btn, answer_mode=answer_mode, top_k=top_k, llm_box=llm_box,
    )  # fmt: skip


def wire(app: App, demo: gr.Blocks) -> None:
    """The events: each handler bound to the App, with the components it may change."""
    p, settings = app.page, app.settings
    private: dict[str, Any] = {"api_visibility": "private"}
    free: dict[str, Any] = {**private, "concurrency_limit": None, "show_progress": "hidden"}
    # Answers share one concurrency group (ui.concurrency at once); uploads have
    # their own single slot, so an ingest never takes a question's place.
    run: dict[str, Any] = {
        **private,
        "show_progress": "hidden",
        "trigger_mode": "once",
        "concurrency_id": "answer",
        "concurrency_limit": settings.ui.concurrency,
    }
    focus = [p.sources, p.strip, p.viewer, p.selected]
    feedback_box = [p.fb_row, p.fb_comment, p.fb_target]
    chat_inputs = [p.question, p.turns, p.kind, p.doc_select, p.answer_mode, p.top_k]
    chat_outputs = [
        p.chat, p.turns, p.question, *focus, p.md_btn, p.docx_btn, p.status, p.llm_box,
        *feedback_box,
    ]  # fmt: skip
    answer = bind(respond, app)
    p.question.input(None, p.question, None, js=COUNT_JS, **free)
    p.question.submit(answer, chat_inputs, chat_outputs, **run)
    p.send.click(answer, chat_inputs, chat_outputs, **run)
    for button in p.examples:
        button.click(
            bind(fill_example, app, button.value), None, [p.question, p.kind], **free
        ).then(answer, chat_inputs, chat_outputs, **run)
    for panel in (p.chat, p.sources, p.strip, p.viewer):
        panel.click(bind(on_panel_click, app), [p.turns], [*focus, *feedback_box], **free).then(
            None, js=SHOW_COMMENT_JS, **free
        )
    comment = bind(submit_comment, app)
    for event in (p.fb_send.click, p.fb_comment.submit):
        event(comment, [p.fb_comment, p.fb_target, p.turns], feedback_box, **free)
    p.clear.click(
        bind(clear_chat, app),
        None,
        [p.chat, p.turns, *focus, p.md_btn, p.docx_btn, *feedback_box],
        **free,
    )
    p.kind.change(bind(on_kind, app), p.kind, p.question, **free)
    p.answer_mode.change(
        bind(on_answer_mode, app), p.answer_mode, [p.answer_mode, p.status, p.llm_box], **free
    )
    docs_outputs = [
        p.chat, p.doc_select, p.delete_select, *focus, p.docs_table, p.status,
    ]  # fmt: skip
    p.upload_box.upload(
        bind(upload, app),
        [p.upload_box, p.turns, p.answer_mode, p.doc_select],
        [p.upload_box, *docs_outputs],
        api_visibility="private",
        show_progress="full",
        show_progress_on=[p.docs_table],
        concurrency_id="ingest",
        concurrency_limit=1,
    )
    p.delete_btn.click(
        bind(ask_delete, app), p.delete_select, [p.confirm_row, p.confirm_text], **free
    )
    p.cancel_btn.click(bind(cancel_delete, app), None, p.confirm_row, **free)
    p.confirm_btn.click(
        bind(do_delete, app),
        [p.delete_select, p.turns, p.answer_mode, p.doc_select],
        [p.confirm_row, *docs_outputs],
        **private,
    )
    demo.load(
        bind(on_load, app),
        [p.turns, p.answer_mode],
        [p.chat, p.doc_select, p.delete_select, *focus, p.docs_table, p.status, p.llm_box],
        **free,
    )
    gr.api(
        bind(ask, app),
        api_name="ask",
        concurrency_id="answer",
        concurrency_limit=settings.ui.concurrency,
    )


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
        head=HEAD,
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
