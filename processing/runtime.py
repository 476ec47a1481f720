"""The pipeline's composition root: the only place in processing/ that reads the environment.

Lambda handlers and (later) the local runner ask it for configured steps and adapters; the steps
themselves take everything as arguments. Variable names match the Django settings', so one
environment configures both halves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from processing.adapters.local_db import LocalDatabase
from processing.adapters.local_executions import LocalExecutions
from processing.adapters.local_files import LocalBlobStore
from processing.adapters.local_queue import LocalQueue
from processing.adapters.local_results import LocalResultStore
from processing.ports import BlobStore, ExecutionStarter, ResultStore
from processing.thumbnails import DEFAULT_QUALITY, DEFAULT_SIZES
from processing.validation import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, Limits

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    pass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, not {value}.")
    return value


def _sizes(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        sizes = tuple(sorted({int(part) for part in raw.split(",") if part.strip()}))
    except ValueError:
        raise ConfigurationError(f"{name} must be sizes in pixels like 250,1024.") from None
    if not sizes or min(sizes) < 16 or max(sizes) > 4096:
        raise ConfigurationError(f"{name} sizes must be between 16 and 4096 pixels.")
    return sizes


@dataclass(frozen=True)
class PipelineConfig:
    backend: str
    var_dir: Path
    limits: Limits = field(default_factory=Limits)
    thumbnail_sizes: tuple[int, ...] = DEFAULT_SIZES
    thumbnail_quality: int = DEFAULT_QUALITY
    bucket: str = "photoshare-local"
    queue_lease_seconds: int = 60

    @classmethod
    def from_environment(cls) -> PipelineConfig:
        backend = os.environ.get("PHOTOSHARE_BACKEND", "local").strip().lower() or "local"
        if backend not in ("local", "aws"):
            raise ConfigurationError(f"PHOTOSHARE_BACKEND must be local or aws, not {backend!r}.")
        var_dir = Path(os.environ.get("PHOTOSHARE_VAR_DIR", "").strip() or _PROJECT_ROOT / "var")
        quality = _int("PHOTOSHARE_THUMBNAIL_QUALITY", DEFAULT_QUALITY)
        if quality > 95:
            raise ConfigurationError("PHOTOSHARE_THUMBNAIL_QUALITY must be at most 95.")
        return cls(
            backend=backend,
            var_dir=var_dir.resolve(),
            limits=Limits(
                max_pixels=_int("PHOTOSHARE_MAX_UPLOAD_PIXELS", DEFAULT_MAX_PIXELS),
                max_bytes=_int("PHOTOSHARE_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES),
            ),
            thumbnail_sizes=_sizes("PHOTOSHARE_THUMBNAIL_SIZES", DEFAULT_SIZES),
            thumbnail_quality=quality,
            bucket=os.environ.get("PHOTOSHARE_BUCKET", "").strip() or "photoshare-local",
            queue_lease_seconds=_int("PHOTOSHARE_QUEUE_LEASE_SECONDS", 60),
        )

    def _local(self, what: str) -> None:
        # The AWS adapters arrive with the AWS runtime; until then aws mode has none of these.
        if self.backend != "local":
            raise ConfigurationError(f"PHOTOSHARE_BACKEND=aws has no {what} yet.")

    def blob_store(self) -> BlobStore:
        self._local("blob store (S3 adapter)")
        return LocalBlobStore(self.var_dir / "media")

    def local_database(self) -> LocalDatabase:
        self._local("local database")
        return _database(self.var_dir / "pipeline.sqlite3")

    def result_store(self) -> ResultStore:
        self._local("result store (DynamoDB adapter)")
        return LocalResultStore(self.local_database())

    def execution_starter(self) -> ExecutionStarter:
        self._local("execution starter (Step Functions adapter)")
        return LocalExecutions(self.local_database())

    def local_executions(self) -> LocalExecutions:
        return LocalExecutions(self.local_database())

    def local_queue(self) -> LocalQueue:
        return LocalQueue(self.local_database(), lease_seconds=self.queue_lease_seconds)


@cache
def _database(path: Path) -> LocalDatabase:
    """One per file and process: it keeps a connection per thread."""
    return LocalDatabase(path)


@cache
def _cached_config(signature: tuple[tuple[str, str], ...]) -> PipelineConfig:
    return PipelineConfig.from_environment()


def config() -> PipelineConfig:
    """The configuration for the current environment (re-read whenever a variable changes)."""
    relevant = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("PHOTOSHARE_")))
    return _cached_config(relevant)
