"""The page's CSS and the small scripts of its HTML panels (kept in Python so a
wheel carries them without package-data)."""

from __future__ import annotations

# System CJK fonts first: nothing is fetched from a font CDN (the app runs offline).
FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "system-ui",
    "sans-serif",
)
SERIF_FONTS = '"Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif'

CSS = """
.gradio-container { width: 100% !important; max-width: 1480px !important; margin: 0 auto !important; }
footer { opacity: .75; }
.sq-headrow { border-bottom: 3px solid #b3261e; padding-bottom: 6px; align-items: flex-end !important; }
.sq-header { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; padding: 2px; }
.sq-header h1 { font-size: 1.5rem; margin: 0; color: #7f1d1d; letter-spacing: .08em; }
.sq-header p { margin: 0; color: #57534e; font-size: .92rem; }
.sq-status { font-size: .85rem; color: #44403c; background: #fafaf9; border: 1px solid #e7e5e4;
  border-radius: 999px; padding: 4px 12px; white-space: nowrap; width: fit-content; margin-left: auto; }
.sq-status b { color: #7f1d1d; font-weight: 600; }
.sq-status .sq-warn { color: #b45309; }

/* conversation */
.sq-chat { position: relative; height: max(320px, calc(100vh - 420px)); overflow-y: auto; padding: 12px 14px;
  background: #fcfcfb; border: 1px solid #e7e5e4; border-radius: 12px; }
.sq-welcome { color: #44403c; line-height: 1.9; padding: 8px 4px; }
.sq-welcome h3 { margin: 0 0 6px; color: #7f1d1d; font-size: 1.1rem; }
.sq-welcome ul { margin: 6px 0 0 1.1em; padding: 0; }
.sq-msg { margin: 10px 0; padding: 10px 14px; border-radius: 12px; line-height: 1.85;
  font-size: 15.5px; overflow-wrap: anywhere; }
.sq-user { background: #7f1d1d; color: #fff; margin-left: 18%; border-bottom-right-radius: 4px;
  width: fit-content; max-width: 82%; margin-left: auto; }
.sq-user .sq-tag { font-size: .72rem; background: rgba(255,255,255,.2); border-radius: 4px;
  padding: 0 5px; margin-right: 8px; vertical-align: 2px; }
.sq-bot { background: #fff; border: 1px solid #e7e5e4; margin-right: 6%; border-bottom-left-radius: 4px;
  box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.sq-answer { font-family: __SERIF__; color: #1c1917; }
.sq-refused { color: #57534e; }
.sq-partial { color: #44403c; border-left: 3px dashed #b45309; padding-left: 10px; }
.sq-partial-label { display: inline-block; font-size: .75rem; font-family: sans-serif; color: #92400e;
  background: #fef3c7; border: 1px solid #f59e0b; border-radius: 4px; padding: 0 6px;
  margin-right: 6px; line-height: 1.6; vertical-align: 1px; }
.sq-q { background: #fef3c7; border-radius: 3px; padding: 0 1px; }
.sq-unver { display: inline-block; font-size: .72rem; font-family: sans-serif; color: #fff;
  background: #b91c1c; border-radius: 4px; padding: 0 5px; margin: 0 3px; line-height: 1.5;
  vertical-align: 1px; }
.sq-chip { display: inline-block; font: 600 12px/1.6 ui-monospace, Menlo, Consolas, monospace;
  border-radius: 999px; padding: 0 7px; margin: 0 2px; vertical-align: 1px; cursor: pointer;
  border: 1px solid #b3261e; color: #b3261e; background: #fff5f5; transition: all .15s; }
.sq-chip:hover, .sq-chip:focus-visible { background: #b3261e; color: #fff; outline: none; }
.sq-chip.sq-bad { border-color: #b45309; color: #b45309; background: #fffbeb; border-style: dashed; }
.sq-chip.sq-near { border-color: #78716c; color: #57534e; background: #f5f5f4; }
.sq-chip.sq-near:hover { background: #57534e; color: #fff; }
.sq-chip.sq-plain { border-color: #d6d3d1; color: #78716c; background: #fafaf9; cursor: default; }
.sq-tools { display: flex; align-items: center; gap: 6px; margin-top: 8px; padding-top: 6px;
  border-top: 1px dashed #e7e5e4; flex-wrap: wrap; }
.sq-btn { font-size: 12.5px; border: 1px solid #d6d3d1; background: #fff; color: #44403c;
  border-radius: 6px; padding: 1px 9px; cursor: pointer; line-height: 1.7; }
.sq-btn:hover { border-color: #b3261e; color: #b3261e; }
.sq-fb { display: inline-flex; gap: 4px; }
.sq-fbbtn { display: inline-flex !important; align-items: center; gap: 3px; white-space: nowrap; }
.sq-icon { display: inline-block !important; flex: 0 0 auto; }
.sq-fbbtn.on { background: #fee2e2; border-color: #b3261e; }
.sq-meta { margin-left: auto; font-size: 12px; color: #a8a29e; }
.sq-pending { opacity: .92; }
.sq-typing { color: #78716c; font-family: sans-serif; }
.sq-typing i { display: inline-block; width: 5px; height: 5px; margin-left: 3px; border-radius: 50%;
  background: #b3261e; animation: sqblink 1s infinite both; }
.sq-typing i:nth-child(2) { animation-delay: .2s; } .sq-typing i:nth-child(3) { animation-delay: .4s; }
@keyframes sqblink { 0%, 80%, 100% { opacity: .2; } 40% { opacity: 1; } }
.sq-lead { color: #57534e; margin: 0 0 4px; font-family: sans-serif; font-size: .92rem; }
.sq-quotes { margin: 0; padding-left: 1.4em; }
.sq-quotes li { margin: 6px 0; }
.sq-quotes .sq-copy { margin-left: 4px; }
.sq-section { display: block; font-size: 12px; color: #a8a29e; font-family: sans-serif; line-height: 1.5; }
.sq-concord { margin-top: 8px; font-family: sans-serif; font-size: .9rem; }
.sq-term { margin: 3px 0; }
.sq-examples { gap: 6px !important; }
.sq-examples button { font-size: 13px !important; flex: 0 1 auto !important; min-width: 0 !important; }
.sq-actions button { flex: 0 1 auto !important; min-width: 0 !important; }

/* side panels */
.sq-side { position: sticky; top: 8px; align-self: flex-start; }
.sq-panel-head { font-weight: 600; color: #44403c; font-size: .92rem; margin: 2px 0 6px;
  display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.sq-sources { max-height: max(120px, calc((100vh - 370px) * .4)); overflow-y: auto; padding-right: 2px; }
.sq-empty { color: #a8a29e; font-size: .9rem; padding: 10px 4px; line-height: 1.7; }
.sq-card { border: 1px solid #e7e5e4; border-left: 4px solid #b3261e; border-radius: 8px;
  padding: 7px 10px; margin-bottom: 8px; background: #fff; }
.sq-card-bad { border-left-color: #b45309; }
.sq-card-near { border-left-color: #a8a29e; }
.sq-card-head { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; margin-bottom: 3px; }
.sq-card-head .sq-section { display: inline; flex: 1 1 160px; }
.sq-card-text { font-family: __SERIF__; font-size: 14px; line-height: 1.8; color: #292524; }
.sq-note { font-size: 12.5px; color: #92400e; margin: 2px 0 4px; }
.sq-badge { font-size: 11px; border-radius: 4px; padding: 0 5px; line-height: 1.6; }
.sq-badge-ok { background: #dcfce7; color: #166534; }
.sq-badge-bad { background: #b91c1c; color: #fff; }
.sq-badge-near { background: #f5f5f4; color: #57534e; }
.sq-mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.sq-value { background: #fca5a5; color: #7f1d1d; font-weight: 700; padding: 0 1px; border-radius: 2px; }
.sq-times { font-family: sans-serif; font-size: .75rem; color: #57534e; margin: 0 4px 0 -2px; }
.sq-related { margin-top: 6px; opacity: .85; }
.sq-mark-focus { background: #fb923c; color: #1c1917; box-shadow: 0 0 0 2px #fdba74; }
.sq-strip { display: flex; flex-wrap: wrap; gap: 3px; }
.sq-cell { min-width: 26px; height: 22px; font: 11px/20px ui-monospace, Menlo, monospace; color: #78716c;
  background: #f5f5f4; border: 1px solid #e7e5e4; border-radius: 4px; cursor: pointer; padding: 0 3px; }
.sq-cell:hover { border-color: #b3261e; color: #b3261e; }
.sq-cell.sq-cell-head, .sq-legend i.sq-cell-head { background: #e7e5e4; font-weight: 700; }
.sq-cell.sq-lit, .sq-legend i.sq-lit { background: #b3261e; color: #fff; border-color: #b3261e; }
.sq-cell.sq-near, .sq-legend i.sq-near { background: #d6d3d1; color: #292524; border-color: #a8a29e; }
.sq-cell.sq-focus { box-shadow: 0 0 0 2px #fb923c; }
.sq-legend { margin-left: auto; font-weight: 400; font-size: 11.5px; color: #a8a29e; }
.sq-legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 2px 0 6px;
  vertical-align: -1px; border: 1px solid #e7e5e4; }
.sq-viewer-body { position: relative; max-height: max(200px, calc((100vh - 370px) * .6)); overflow-y: auto; border: 1px solid #e7e5e4;
  border-radius: 8px; background: #fff; padding: 6px 4px; }
.sq-para { display: flex; gap: 8px; padding: 5px 8px; border-radius: 6px; line-height: 1.85;
  font-family: __SERIF__; font-size: 14.5px; color: #292524; scroll-margin: 40px; }
.sq-pn { flex: 0 0 auto; min-width: 34px; font: 12px/2.2 ui-monospace, Menlo, monospace; color: #a8a29e;
  text-align: right; user-select: none; }
.sq-pt { flex: 1 1 auto; overflow-wrap: anywhere; white-space: pre-wrap; }
.sq-kind-heading .sq-pt, .sq-kind-salutation .sq-pt { font-weight: 700; font-family: sans-serif; }
.sq-cited { background: #fff7ed; }
.sq-cited .sq-pn { color: #b3261e; font-weight: 700; }
.sq-nearp { background: #f5f5f4; }
.sq-focus { background: #ffedd5; box-shadow: inset 3px 0 0 #ea580c; }
.sq-focus .sq-pn { color: #c2410c; font-weight: 700; }
.sq-where { font-weight: 400; color: #c2410c; font-size: .85rem; }
.sq-doctable { width: 100%; border-collapse: collapse; font-size: 14px; margin: 6px 0; border: none !important; }
.sq-doctable th, .sq-doctable td { border: none !important; border-bottom: 1px solid #e7e5e4 !important;
  padding: 7px 10px !important; text-align: left; }
.sq-doctable th { color: #57534e; font-weight: 600; background: #fafaf9; }
.sq-doctable code { font-size: 12px; color: #78716c; }
.sq-hint { color: #78716c; font-size: .88rem; line-height: 1.7; }
.sq-llm { padding: 8px 12px; border-radius: 8px; border: 1px solid #e7e5e4; background: #fafaf9; }
.sq-llm b.ok { color: #166534; } .sq-llm b.off { color: #57534e; } .sq-llm b.bad { color: #b45309; }
/* The question box stands out from the page. */
#sq-question textarea, #sq-fbcomment textarea { border: 1px solid #a8a29e !important;
  border-radius: 8px !important; background: #fff !important; padding: 8px 10px !important; }
#sq-question textarea:focus, #sq-fbcomment textarea:focus { border-color: #b3261e !important;
  box-shadow: 0 0 0 2px #fecaca !important; }
#sq-fbrow { align-items: flex-end !important; }
/* Sources folded under each answer: narrow screens only (the side panel is beside it on wide ones). */
.sq-inline-src { display: none; margin-top: 8px; font-family: sans-serif; }
.sq-inline-src summary { cursor: pointer; font-size: 13px; color: #7f1d1d; font-weight: 600;
  padding: 2px 0; list-style-position: inside; }
.sq-inline-src .sq-hint-inline { font-weight: 400; color: #a8a29e; font-size: 12px; }
.sq-inline-src .sq-card { margin: 6px 0 0; scroll-margin: 12px; }
.sq-card.sq-flash { box-shadow: 0 0 0 2px #fb923c; }
.sq-narrow { display: none; }
@media (max-width: 900px) {
  .sq-main { flex-direction: column !important; }
  .sq-main > .column { width: 100% !important; min-width: 0 !important; flex: 1 1 auto !important; }
  .sq-side { position: static; } .sq-chat { height: auto; min-height: 240px; max-height: 62vh; }
  .sq-status { white-space: normal; margin-left: 0; }
  .sq-viewer-body { max-height: 60vh; }
  #sq-sources { display: none !important; }
  .sq-inline-src { display: block; }
  .sq-wide { display: none; } .sq-narrow { display: inline; }
}
.sq-doctable-wrap { overflow-x: auto; }
@media (max-width: 480px) {
  .gradio-container { padding: 6px 8px !important; }
  /* 文档: the button above its hint, the table without the technical columns, the
     delete list above its button. */
  .sq-uploadrow, .sq-deleterow, .sq-confirmrow, #sq-fbrow { flex-direction: column !important;
    align-items: stretch !important; }
  .sq-uploadrow > *, .sq-deleterow > *, .sq-confirmrow > *, #sq-fbrow > * { width: 100% !important; min-width: 0 !important; flex: 0 0 auto !important; }
  .sq-doctable th:nth-child(2), .sq-doctable td:nth-child(2), .sq-doctable th:nth-child(4),
  .sq-doctable td:nth-child(4), .sq-doctable th:nth-child(5), .sq-doctable td:nth-child(5) { display: none; }
  .sq-doctable th, .sq-doctable td { padding: 6px !important; }
  .sq-headrow { flex-direction: column !important; align-items: stretch !important; gap: 4px !important; }
  .sq-header h1 { font-size: 1.3rem; }
  .sq-header p { font-size: .82rem; }
  .sq-status { font-size: .8rem; }
  .sq-msg { padding: 8px 10px; font-size: 15px; }
  .sq-user { max-width: 92%; }
  .sq-bot { margin-right: 0; }
  .sq-chat { padding: 8px; }
}
""".replace("__SERIF__", SERIF_FONTS)

# Notices (Gradio's toasts) live outside the app's container, where Gradio's scoping
# of the custom CSS does not reach inside media queries: they are styled from <head>.
# One at a time, the newest (Gradio groups notices of a level in one box; a new one
# hides the boxes of the other levels), in the header's empty middle on wide screens,
# at the bottom on narrower ones, a slim bar over the title on a phone: never over the
# status badge.
NOTICE_CSS = """
.toast-wrap { top: 14px !important; left: 50% !important; right: auto !important;
  transform: translateX(-50%); width: min(400px, calc(100vw - 940px)) !important; }
@media (max-width: 1279px) {
  .toast-wrap { top: auto !important; bottom: 12px !important; width: min(400px, calc(100vw - 24px)) !important; }
}
/* A phone: a slim bar at the very top (over the title, not the badge below it), the
   message alone; the bottom is where the reader types. */
@media (max-width: 480px) {
  .toast-wrap { top: 4px !important; bottom: auto !important; width: calc(100vw - 16px) !important; }
  .toast-header { display: none !important; }
  .toast-messages { padding: 6px 10px !important; }
  .toast-message-text { font-size: 13px !important; line-height: 1.5 !important; }
}
.toast-wrap > .toast-item.sq-gone { display: none !important; }
.toast-messages > .toast-message-item:not(:last-of-type), .toast-messages > .toast-separator,
.toast-count { display: none !important; }
/* Gradio titles its toasts with the English level name; show it in Chinese. */
.toast-title.info, .toast-title.warning, .toast-title.error, .toast-title.success { font-size: 0 !important; }
.toast-title.info::before, .toast-title.warning::before, .toast-title.error::before,
.toast-title.success::before { font-size: 14px; }
.toast-title.info::before { content: "提示"; }
.toast-title.warning::before { content: "注意"; }
.toast-title.error::before { content: "出错了"; }
.toast-title.success::before { content: "完成"; }
"""
NOTICE_JS = """
document.addEventListener('DOMContentLoaded', () => {
  new MutationObserver((records) => {
    for (const rec of records) {
      for (const n of rec.addedNodes) {
        if (!(n instanceof Element)) continue;
        const msg = n.matches('.toast-message-item') ? n : n.querySelector('.toast-message-item');
        const box = msg && msg.closest('.toast-item');
        if (!box) continue;
        box.classList.remove('sq-gone');
        document.querySelectorAll('.toast-wrap > .toast-item').forEach((t) => {
          if (t !== box) t.classList.add('sq-gone');
        });
      }
    }
  }).observe(document.body, {childList: true, subtree: true});
});
"""
HEAD = f"<style>{NOTICE_CSS}</style><script>{NOTICE_JS}</script>"

# Runs once per HTML panel (Gradio's js_on_load: ``element`` is the panel, ``trigger``
# sends an event to Python). Clicks are delegated, so they survive re-renders.
PANEL_JS = r"""
const copyText = async (text) => {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (e) { /* fall back below */ }
  const ta = document.createElement('textarea');
  ta.value = text; ta.setAttribute('readonly', ''); ta.style.position = 'fixed'; ta.style.opacity = '0';
  document.body.appendChild(ta); ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
  ta.remove();
  return ok;
};
element.addEventListener('click', async (ev) => {
  const el = ev.target.closest('[data-act]');
  if (!el || !element.contains(el)) return;
  ev.preventDefault();
  const d = el.dataset;
  if (d.act === 'copy') {
    const ok = await copyText(d.copy || '');
    el.textContent = ok ? '已复制' : '复制失败';
    setTimeout(() => { el.textContent = d.label || '复制'; }, 1500);
    return;
  }
  if (d.act === 'fb') {
    window.sqFeedbackClicked = true;
    const box = el.closest('.sq-fb');
    if (box) box.querySelectorAll('[data-act="fb"]').forEach((b) => b.classList.toggle('on', b === el));
  }
  trigger('click', {act: d.act, turn: d.turn || '', doc: d.doc || '', para: d.para || '',
                    start: d.start || '', end: d.end || '', rating: d.rating || ''});
});
"""

# The conversation shows the start of the newest exchange (its question at the top
# when the answer is taller than the box, else the bottom).
CHAT_JS = (
    PANEL_JS
    + r"""
const stick = () => {
  const box = element.querySelector('.sq-chat');
  if (!box) return;
  const asked = box.querySelectorAll('.sq-user');
  const last = asked[asked.length - 1];
  const bottom = box.scrollHeight - box.clientHeight;
  box.scrollTop = last ? Math.min(bottom, Math.max(0, last.offsetTop - 8)) : bottom;
};
// Narrow screens: a citation tap in an answer opens the sources folded under it at
// that paragraph (the full text is further down the page).
const narrow = () => window.matchMedia('(max-width: 900px)').matches;
element.addEventListener('click', (ev) => {
  const chip = ev.target.closest('.sq-bot .sq-chip[data-act="cite"]');
  if (!chip || !narrow() || chip.closest('.sq-inline-src')) return;
  const fold = chip.closest('.sq-bot').querySelector('details.sq-inline-src');
  if (!fold) return;
  fold.open = true;
  fold.querySelectorAll('.sq-flash').forEach((c) => c.classList.remove('sq-flash'));
  const card = fold.querySelector('.sq-card[data-para="' + chip.dataset.para + '"]');
  if (card) card.classList.add('sq-flash');
  (card || fold).scrollIntoView({block: 'nearest'});
});
if (typeof watch === 'function') watch('value', stick);
stick();
"""
)

# The viewer scrolls its focused paragraph to the upper third of its box.
VIEWER_JS = (
    PANEL_JS
    + r"""
const show = () => {
  const body = element.querySelector('.sq-viewer-body');
  const f = element.querySelector('.sq-para.sq-focus');
  if (!body || !f) return;
  body.scrollTo({top: Math.max(0, f.offsetTop - body.clientHeight / 3), behavior: 'smooth'});
  // Wide screens: bring the viewer into the window. Narrow ones show the paragraph
  // under the answer instead, and the page stays where the reader is.
  const r = body.getBoundingClientRect();
  const narrow = window.matchMedia('(max-width: 900px)').matches;
  if (!narrow && (r.bottom < 0 || r.top > window.innerHeight)) body.scrollIntoView({block: 'nearest'});
};
if (typeof watch === 'function') watch('value', show);
show();
"""
)

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
