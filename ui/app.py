"""The Gradio web chat: chat with streamed, cited answers; sources, paragraph strip
and full-text viewer; documents; settings; the ``ask`` endpoint for scripts.

The page's components are laid out in :mod:`ui.page`; :func:`build_app` wires them
to their handlers here. Each event is a
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
import tempfile
import threading
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ingest.load import load_bytes, read_limited
from ingest.parse import ParsedDocument
from ingest.store import chroma_down, is_unreachable
from speechqa.errors import (
    ConfigError,
    DocumentError,
    EmptyIndexError,
    LLMNotConfiguredError,
    SpeechQAError,
)
from speechqa.settings import AnswerMode, Settings

from . import feedback
from .export import conversation_markdown, write_docx
from .page import (
    ALL_DOCS,
    EXAMPLES,
    KIND_ANSWER,
    KIND_QUOTE,
    PLACEHOLDERS,
    Page,
    layout,
    theme,
)
from .render import (
    chat_html,
    delete_confirm_html,
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
from .style import COUNT_JS, CSS, HEAD, SHOW_COMMENT_JS
from .turns import Turn, find_turn

if TYPE_CHECKING:
    from rag.service import Assistant

log = logging.getLogger("speechqa.ui")

EXPORT_NAME = "讲话问答记录"
UPLOAD_HARD_CAP_FACTOR = 5
# Notices are short and one at a time (the page's CSS shows only the newest).
NOTICE_SECONDS = 4
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
                raise ConfigError(
                    "the answer stream ended without an answer; try again.",
                    zh="回答流程结束时没有得到回答；请重试。",
                )
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
        p.confirm_text: delete_confirm_html(docs[doc_id].title, doc_id),
    }


def cancel_delete(app: App) -> Update:
    return {app.page.confirm_row: gr.Row(visible=False)}


def do_delete(
    app: App, doc_id: str | None, turns: list[Turn], answer_mode: str, doc_choice: str | None
) -> Update:
    backend = app.backend
    try:
        if not doc_id:
            raise ConfigError("choose the document to delete first.", zh="请先选择要删除的文档。")
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
        _warn(LLMNotConfiguredError("").chinese)
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
        app = App(backend, layout(settings, llm_html(backend)))
        wire(app, demo)
    demo.queue(default_concurrency_limit=settings.ui.concurrency)
    return demo


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


__all__: Sequence[str] = ("ALL_DOCS", "EXAMPLES", "build_app", "launch", "theme")
