"""The pipeline's composition root: the only place in processing/ that reads the environment.

``PipelineConfig.from_environment()`` is the one reader of the ``PHOTOSHARE_*`` variables the
pipeline shares with the web app: Django's settings build their ``PipelineConfig`` with it too, so
names, defaults and validation are written once. ``config()`` builds this process's configuration
once (a Lambda execution environment's cold start, a worker's start) and keeps it;
``configure()`` installs another (the local CLI, tests), never by rewriting ``os.environ``.

Adapters and boto3 clients are built once per process and configuration, on first use, and
imported only then: a handler that writes one DynamoDB item imports neither Pillow, NumPy nor
onnxruntime, and a local-mode process never imports boto3.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from processing import defaults
from processing.recognition.models.manifest import default_models_dir
from processing.validation import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, Limits

if TYPE_CHECKING:
    from processing.adapters.aws_s3 import S3UploadSigner
    from processing.adapters.local_db import LocalDatabase
    from processing.adapters.local_executions import LocalExecutions
    from processing.adapters.local_queue import LocalQueue
    from processing.local.bucket import LocalBucket
    from processing.ports import (
        BlobStore,
        ExecutionControl,
        ExecutionStarter,
        Recognizer,
        ResultStore,
    )
    from processing.sweeper import SweepSettings

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    pass


def _int(name: str, default: int, *, least: int = 1) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < least:
        raise ConfigurationError(f"{name} must be at least {least}, not {value}.")
    return value


def _text(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


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
    thumbnail_sizes: tuple[int, ...] = defaults.THUMBNAIL_SIZES
    thumbnail_quality: int = defaults.THUMBNAIL_QUALITY
    bucket: str = "photoshare-local"
    queue_lease_seconds: int = 60
    # A local worker holding more resident memory than this after a job is replaced by a new one.
    worker_max_rss_mb: int = 450
    # aws mode: where the stack's resources are (the SAM template's outputs).
    aws_region: str = "us-east-1"
    results_table: str = "ImageMetadata"
    state_machine_arn: str = ""
    aws_endpoint_url: str | None = None  # only for tests against moto's server
    # Recognition: the local models, or Rekognition (the default in aws mode).
    recognizer_name: str = "local"
    models_dir: Path = field(default_factory=default_models_dir)
    max_labels: int = defaults.RECOGNITION_MAX_LABELS
    min_confidence: float = defaults.RECOGNITION_MIN_CONFIDENCE
    recognition_crops: int = defaults.RECOGNITION_CROPS  # the local second opinion's
    # The sweeper (processing.sweeper): look at photos RUNNING longer than this; stop executions
    # still running after the hard limit.
    sweep_after_seconds: int = defaults.SWEEP_AFTER_SECONDS
    sweep_hard_limit_seconds: int = defaults.SWEEP_HARD_LIMIT_SECONDS

    @classmethod
    def from_environment(cls) -> PipelineConfig:
        backend = os.environ.get("PHOTOSHARE_BACKEND", "local").strip().lower() or "local"
        if backend not in ("local", "aws"):
            raise ConfigurationError(
                f"PHOTOSHARE_BACKEND must be one of local, aws, not {backend!r}."
            )
        var_dir = Path(os.environ.get("PHOTOSHARE_VAR_DIR", "").strip() or _PROJECT_ROOT / "var")
        quality = _int("PHOTOSHARE_THUMBNAIL_QUALITY", defaults.THUMBNAIL_QUALITY)
        default_recognizer = "rekognition" if backend == "aws" else "local"
        recognizer = _text("PHOTOSHARE_RECOGNIZER", default_recognizer).lower()
        if recognizer not in ("local", "rekognition"):
            raise ConfigurationError(
                f"PHOTOSHARE_RECOGNIZER must be local or rekognition, not {recognizer!r}."
            )
        min_confidence = _int(
            "PHOTOSHARE_RECOGNITION_MIN_CONFIDENCE", int(defaults.RECOGNITION_MIN_CONFIDENCE)
        )
        if min_confidence > 100:
            raise ConfigurationError("PHOTOSHARE_RECOGNITION_MIN_CONFIDENCE must be at most 100.")
        if quality > 95:
            raise ConfigurationError("PHOTOSHARE_THUMBNAIL_QUALITY must be at most 95.")
        return cls(
            backend=backend,
            var_dir=var_dir.resolve(),
            limits=Limits(
                max_pixels=_int("PHOTOSHARE_MAX_UPLOAD_PIXELS", DEFAULT_MAX_PIXELS),
                max_bytes=_int("PHOTOSHARE_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES),
            ),
            thumbnail_sizes=_sizes("PHOTOSHARE_THUMBNAIL_SIZES", defaults.THUMBNAIL_SIZES),
            thumbnail_quality=quality,
            bucket=os.environ.get("PHOTOSHARE_BUCKET", "").strip() or "photoshare-local",
            queue_lease_seconds=_int("PHOTOSHARE_QUEUE_LEASE_SECONDS", 60),
            worker_max_rss_mb=_int("PHOTOSHARE_WORKER_MAX_RSS_MB", 450),
            aws_region=_text("PHOTOSHARE_AWS_REGION", os.environ.get("AWS_REGION", "us-east-1")),
            results_table=_text("PHOTOSHARE_RESULTS_TABLE", "ImageMetadata"),
            state_machine_arn=_text("PHOTOSHARE_STATE_MACHINE_ARN", ""),
            aws_endpoint_url=_text("PHOTOSHARE_AWS_ENDPOINT_URL", "") or None,
            recognizer_name=recognizer,
            models_dir=default_models_dir(),
            max_labels=_int("PHOTOSHARE_RECOGNITION_MAX_LABELS", defaults.RECOGNITION_MAX_LABELS),
            min_confidence=float(min_confidence),
            recognition_crops=_int(
                "PHOTOSHARE_RECOGNITION_CROPS", defaults.RECOGNITION_CROPS, least=0
            ),
            sweep_after_seconds=_int(
                "PHOTOSHARE_SWEEP_AFTER_SECONDS", defaults.SWEEP_AFTER_SECONDS
            ),
            sweep_hard_limit_seconds=_int(
                "PHOTOSHARE_SWEEP_HARD_LIMIT_SECONDS", defaults.SWEEP_HARD_LIMIT_SECONDS
            ),
        )

    def _local(self, what: str) -> None:
        if self.backend != "local":
            raise ConfigurationError(
                f"{what} exists only in local mode (PHOTOSHARE_BACKEND=local)."
            )

    # Each adapter is built once per process and configuration (the caches below are keyed by
    # this frozen, hashable config), so a warm Lambda or a worker reuses its clients and their
    # connection pools; configure() forgets them with the configuration they were built for.

    def aws_client(self, service: str) -> Any:
        return _aws_client(service, self.aws_region, self.aws_endpoint_url)

    def s3_client(self) -> Any:
        """The one S3 client of this process and configuration (signature v4, standard retries),
        shared by the blob store and the web app's presigned URLs."""
        return _s3_client(self.aws_region, self.aws_endpoint_url)

    def blob_store(self) -> BlobStore:
        return _blob_store(self)

    def local_database(self) -> LocalDatabase:
        self._local("The local pipeline database")
        return _database(self.var_dir / "pipeline.sqlite3")

    def result_store(self) -> ResultStore:
        return _result_store(self)

    def execution_starter(self) -> ExecutionStarter:
        return _execution_starter(self)

    def recognizer(self) -> Recognizer:
        return _recognizer(self)

    def s3_upload_signer(self) -> S3UploadSigner:
        """S3's presigned POSTs and GETs for the web app, one per process: its GET URLs are
        reused for most of their life (see S3UploadSigner), so browsers can cache thumbnails."""
        return _s3_upload_signer(self)

    def local_executions(self) -> LocalExecutions:
        from processing.adapters.local_executions import LocalExecutions

        return LocalExecutions(self.local_database())

    def local_queue(self) -> LocalQueue:
        from processing.adapters.local_queue import LocalQueue

        return LocalQueue(
            self.local_database(),
            lease_seconds=self.queue_lease_seconds,
            wake_dir=self.var_dir / "wake",  # where idle workers wait for a put
        )

    def local_bucket(self) -> LocalBucket:
        """The bucket as S3 behaves: storing an object queues its ObjectCreated notification."""
        from processing.local.bucket import LocalBucket

        return LocalBucket(self.bucket, self.blob_store(), self.local_queue())

    def execution_control(self) -> ExecutionControl:
        """What the sweeper asks about executions (and stops): Step Functions, or the local ones."""
        if self.backend == "aws":
            if not self.state_machine_arn:
                raise ConfigurationError("PHOTOSHARE_STATE_MACHINE_ARN must be set in aws mode.")
            from processing.adapters.aws_stepfunctions import StepFunctionsExecutions

            return StepFunctionsExecutions(self.aws_client("stepfunctions"), self.state_machine_arn)
        return self.local_executions()

    def sweep_settings(self) -> SweepSettings:
        from processing.sweeper import SweepSettings

        return SweepSettings(
            after_seconds=self.sweep_after_seconds,
            hard_limit_seconds=self.sweep_hard_limit_seconds,
            bucket=self.bucket,
        )


# -- Adapters, built once per process and configuration, importing only what they use --------

# The web app's threads may ask for the first client together; one of them builds it. Re-entrant:
# building a store builds its client.
_building = threading.RLock()
_Built = TypeVar("_Built")
_BuiltCo = TypeVar("_BuiltCo", covariant=True)


class _BuiltOnce(Protocol[_BuiltCo]):
    def __call__(self, *arguments: Any) -> _BuiltCo: ...

    def cache_clear(self) -> None: ...


def _built_once(build: Callable[..., _Built]) -> _BuiltOnce[_Built]:
    """A cache by arguments whose misses are built under one lock, so a process never makes two
    of anything; a hit takes no lock."""
    built: dict[tuple[Any, ...], _Built] = {}

    @wraps(build)
    def once(*arguments: Any) -> _Built:
        try:
            return built[arguments]
        except KeyError:
            pass
        with _building:
            if arguments not in built:
                built[arguments] = build(*arguments)
            return built[arguments]

    once.cache_clear = built.clear  # type: ignore[attr-defined]
    return once  # type: ignore[return-value]


@_built_once
def _s3_client(region: str, endpoint_url: str | None) -> Any:
    from processing.adapters.aws_s3 import s3_client

    return s3_client(region, endpoint_url)


@_built_once
def _aws_client(service: str, region: str, endpoint_url: str | None) -> Any:
    from processing.adapters.aws_clients import aws_client

    return aws_client(service, region, endpoint_url)


@_built_once
def _blob_store(config: PipelineConfig) -> BlobStore:
    if config.backend == "aws":
        from processing.adapters.aws_s3 import S3BlobStore

        return S3BlobStore(config.s3_client(), config.bucket)
    from processing.adapters.local_files import LocalBlobStore

    return LocalBlobStore(config.var_dir / "media")


@_built_once
def _result_store(config: PipelineConfig) -> ResultStore:
    if config.backend == "aws":
        from processing.adapters.aws_dynamodb import DynamoResultStore

        return DynamoResultStore(config.aws_client("dynamodb"), config.results_table)
    from processing.adapters.local_results import LocalResultStore

    return LocalResultStore(config.local_database())


@_built_once
def _execution_starter(config: PipelineConfig) -> ExecutionStarter:
    if config.backend == "aws":
        if not config.state_machine_arn:
            raise ConfigurationError("PHOTOSHARE_STATE_MACHINE_ARN must be set in aws mode.")
        from processing.adapters.aws_stepfunctions import StepFunctionsStarter

        return StepFunctionsStarter(config.aws_client("stepfunctions"), config.state_machine_arn)
    from processing.adapters.local_executions import LocalExecutions

    return LocalExecutions(config.local_database())


@_built_once
def _recognizer(config: PipelineConfig) -> Recognizer:
    if config.recognizer_name == "rekognition":
        from processing.adapters.aws_rekognition import RekognitionRecognizer

        return RekognitionRecognizer(
            config.aws_client("rekognition"),
            max_labels=config.max_labels,
            min_confidence=config.min_confidence,
        )
    # onnxruntime and NumPy: only where the local models run (never in an aws-mode Lambda).
    from processing.recognition.local import local_recognizer

    return local_recognizer(
        config.models_dir,
        max_labels=config.max_labels,
        min_confidence=config.min_confidence,
        crops=config.recognition_crops,
    )


@_built_once
def _s3_upload_signer(config: PipelineConfig) -> S3UploadSigner:
    from processing.adapters.aws_s3 import S3UploadSigner

    return S3UploadSigner(config.s3_client(), config.bucket)


@cache
def _database(path: Path) -> LocalDatabase:
    """One per file and process: it keeps a connection per thread."""
    from processing.adapters.local_db import LocalDatabase

    return LocalDatabase(path)


_ADAPTER_CACHES = (
    _s3_client,
    _aws_client,
    _blob_store,
    _result_store,
    _execution_starter,
    _recognizer,
    _s3_upload_signer,
)


# -- This process's configuration --------------------------------------------------------------

_current: PipelineConfig | None = None
_current_lock = threading.Lock()


def config() -> PipelineConfig:
    """This process's configuration: read from the environment the first time, then kept (a
    Lambda execution environment's variables never change), unless ``configure`` installed
    another."""
    global _current
    current = _current
    if current is None:
        with _current_lock:
            if _current is None:
                _current = PipelineConfig.from_environment()
            current = _current
    return current


def configure(new: PipelineConfig | None) -> None:
    """Installs ``new`` as this process's configuration, for whoever steers the handlers (the
    local CLI, tests); None reads the environment again at the next ``config()``. Adapters and
    clients built for the previous configuration are forgotten (a test's moto is gone with it)."""
    global _current
    with _current_lock:
        _current = new
        for built in _ADAPTER_CACHES:
            built.cache_clear()


@contextmanager
def configured(new: PipelineConfig) -> Iterator[PipelineConfig]:
    """``configure(new)`` for a block, then the previous configuration again."""
    previous = _current
    configure(new)
    try:
        yield new
    finally:
        configure(previous)
