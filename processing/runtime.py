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
from typing import Any

import boto3

from processing.adapters.aws_dynamodb import DynamoResultStore
from processing.adapters.aws_rekognition import (
    DEFAULT_MAX_LABELS,
    DEFAULT_MIN_CONFIDENCE,
    RekognitionRecognizer,
)
from processing.adapters.aws_s3 import S3BlobStore, s3_client
from processing.adapters.aws_stepfunctions import StepFunctionsExecutions, StepFunctionsStarter
from processing.adapters.local_db import LocalDatabase
from processing.adapters.local_executions import LocalExecutions
from processing.adapters.local_files import LocalBlobStore
from processing.adapters.local_queue import LocalQueue
from processing.adapters.local_results import LocalResultStore
from processing.local.bucket import LocalBucket
from processing.ports import (
    BlobStore,
    ExecutionControl,
    ExecutionStarter,
    Recognizer,
    ResultStore,
)
from processing.recognition.models.manifest import default_models_dir
from processing.sweeper import (
    DEFAULT_HARD_LIMIT_SECONDS,
    DEFAULT_SWEEP_AFTER_SECONDS,
    SweepSettings,
)
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
    thumbnail_sizes: tuple[int, ...] = DEFAULT_SIZES
    thumbnail_quality: int = DEFAULT_QUALITY
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
    max_labels: int = DEFAULT_MAX_LABELS
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    @classmethod
    def from_environment(cls) -> PipelineConfig:
        backend = os.environ.get("PHOTOSHARE_BACKEND", "local").strip().lower() or "local"
        if backend not in ("local", "aws"):
            raise ConfigurationError(f"PHOTOSHARE_BACKEND must be local or aws, not {backend!r}.")
        var_dir = Path(os.environ.get("PHOTOSHARE_VAR_DIR", "").strip() or _PROJECT_ROOT / "var")
        quality = _int("PHOTOSHARE_THUMBNAIL_QUALITY", DEFAULT_QUALITY)
        default_recognizer = "rekognition" if backend == "aws" else "local"
        recognizer = _text("PHOTOSHARE_RECOGNIZER", default_recognizer).lower()
        if recognizer not in ("local", "rekognition"):
            raise ConfigurationError(
                f"PHOTOSHARE_RECOGNIZER must be local or rekognition, not {recognizer!r}."
            )
        min_confidence = _int("PHOTOSHARE_RECOGNITION_MIN_CONFIDENCE", int(DEFAULT_MIN_CONFIDENCE))
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
            thumbnail_sizes=_sizes("PHOTOSHARE_THUMBNAIL_SIZES", DEFAULT_SIZES),
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
            max_labels=_int("PHOTOSHARE_RECOGNITION_MAX_LABELS", DEFAULT_MAX_LABELS),
            min_confidence=float(min_confidence),
        )

    def _local(self, what: str) -> None:
        if self.backend != "local":
            raise ConfigurationError(
                f"{what} exists only in local mode (PHOTOSHARE_BACKEND=local)."
            )

    def aws_client(self, service: str) -> Any:
        return _aws_client(service, self.aws_region, self.aws_endpoint_url)

    def blob_store(self) -> BlobStore:
        if self.backend == "aws":
            return S3BlobStore(s3_client(self.aws_region, self.aws_endpoint_url), self.bucket)
        return LocalBlobStore(self.var_dir / "media")

    def local_database(self) -> LocalDatabase:
        self._local("The local pipeline database")
        return _database(self.var_dir / "pipeline.sqlite3")

    def result_store(self) -> ResultStore:
        if self.backend == "aws":
            return DynamoResultStore(self.aws_client("dynamodb"), self.results_table)
        return LocalResultStore(self.local_database())

    def execution_starter(self) -> ExecutionStarter:
        if self.backend == "aws":
            if not self.state_machine_arn:
                raise ConfigurationError("PHOTOSHARE_STATE_MACHINE_ARN must be set in aws mode.")
            return StepFunctionsStarter(self.aws_client("stepfunctions"), self.state_machine_arn)
        return LocalExecutions(self.local_database())

    def recognizer(self) -> Recognizer:
        if self.recognizer_name == "rekognition":
            return RekognitionRecognizer(
                self.aws_client("rekognition"),
                max_labels=self.max_labels,
                min_confidence=self.min_confidence,
            )
        # Imported here so aws-mode Lambdas never load onnxruntime (it is not in their artifact).
        from processing.recognition.local import local_recognizer

        return local_recognizer(self.models_dir, max_labels=self.max_labels)

    def local_executions(self) -> LocalExecutions:
        return LocalExecutions(self.local_database())

    def local_queue(self) -> LocalQueue:
        return LocalQueue(
            self.local_database(),
            lease_seconds=self.queue_lease_seconds,
            wake_dir=self.var_dir / "wake",  # where idle workers wait for a put
        )

    def local_bucket(self) -> LocalBucket:
        """The bucket as S3 behaves: storing an object queues its ObjectCreated notification."""
        return LocalBucket(self.bucket, self.blob_store(), self.local_queue())

    # The sweeper's (processing.sweeper). Its two variables are read here rather than in
    # from_environment, to keep this addition apart from that method.
    def execution_control(self) -> ExecutionControl:
        if self.backend == "aws":
            if not self.state_machine_arn:
                raise ConfigurationError("PHOTOSHARE_STATE_MACHINE_ARN must be set in aws mode.")
            return StepFunctionsExecutions(self.aws_client("stepfunctions"), self.state_machine_arn)
        return LocalExecutions(self.local_database())

    def sweep_settings(self) -> SweepSettings:
        return SweepSettings(
            after_seconds=_int("PHOTOSHARE_SWEEP_AFTER_SECONDS", DEFAULT_SWEEP_AFTER_SECONDS),
            hard_limit_seconds=_int(
                "PHOTOSHARE_SWEEP_HARD_LIMIT_SECONDS", DEFAULT_HARD_LIMIT_SECONDS
            ),
            bucket=self.bucket,
        )


@cache
def _aws_client(service: str, region: str, endpoint_url: str | None) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url)


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
