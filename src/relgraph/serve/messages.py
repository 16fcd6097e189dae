"""The requests and answers of the HTTP API, as pydantic models: they
validate every field (422 with the field named) and make the OpenAPI docs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from relgraph.serve.settings import MAX_QUERY_CHARS

Query = Field(
    min_length=1,
    max_length=MAX_QUERY_CHARS,
    description="A PQL query, e.g. PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH "
    "customers.customer_id",
)
Time = Field(default=None, max_length=64, description="A date or time, e.g. 2024-06-01.")


class Strict(BaseModel):
    """A request: unknown fields are errors (a misspelt option is not ignored)."""

    model_config = ConfigDict(extra="forbid")


class CheckRequest(Strict):
    query: str = Query


class LabelsRequest(Strict):
    query: str = Query
    val_time: str | None = Time
    test_time: str | None = Time
    horizon: str | None = Field(default=None, max_length=32, description="e.g. 30d, 2w, 1mo.")
    anchor: Literal["grid", "entity"] = "grid"


class PredictRequest(Strict):
    """The options of ``relgraph predict``, by the same names."""

    query: str = Query
    model: str = Field(
        default="icl",
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="icl (no training step), or the file name of a saved model in the "
        "server's --models folder (never a path).",
    )
    mode: Literal["fast", "normal", "best"] = "fast"
    predictor: Literal["transformer", "lightgbm", "blend"] | None = None
    anchor_time: str | None = Time
    explain: bool = False
    reasons: bool = Field(
        default=True,
        description="icl only: a top_signal per row; false skips them for bulk scoring "
        "(several times faster with the transformer; the same predictions).",
    )
    entities: list[int | str] | None = Field(
        default=None, max_length=10_000, description="Only these entity ids."
    )
    limit: int | None = Field(default=None, ge=0, description="Return the first rows only.")
    fresh: bool = Field(
        default=False,
        description="Compute again even when the same answer is kept, with a new "
        "in-context model (not the one kept warm for this question).",
    )


class PredictResponse(BaseModel):
    query: str
    anchor_time: str
    anchor_note: str = ""
    task_type: str
    model: str
    mode: str | None = None
    predictor: str | None = None
    context: dict[str, Any] = {}
    timings: dict[str, float] = {}
    rows_total: int
    columns: list[str]
    rows: list[dict[str, Any]]
    cached: bool
    database_version: int
    seconds: float


class EvaluateRequest(Strict):
    query: str = Query
    models: list[str] = Field(
        default=["icl", "baseline", "prior"], min_length=1, max_length=8, description="Model names."
    )
    seeds: int = Field(default=1, ge=1, le=5)
    protocol: Literal["rolling", "relbench", "both"] = "rolling"
    val_time: str | None = Time
    test_time: str | None = Time
    horizon: str | None = Field(default=None, max_length=32)


class JobProgress(BaseModel):
    done: int
    total: int
    step: str


class JobStatus(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: JobProgress
    created: str
    finished: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class ServerInfo(BaseModel):
    source: str
    database_version: int
    loaded_at: str
    load_seconds: float
    watching: bool
    reload_error: str | None = None
    tables: int
    saved_models: list[str]


class SuggestionsState(BaseModel):
    status: str = Field(description="computing, ready, failed, or off")
    database_version: int
    seconds: float | None = None
    error: str | None = None
    suggestions: list[dict[str, Any]]
