"""Benchmark of local recognition: the float32 models against the int8 ones (before and after,
per stage, in the same run), latency per photo, what it adds to the pipeline, peak memory, cold
start, throughput with 1 and 2 workers, and NanoDet in onnxruntime against TensorFlow.js.

    make bench-recognition   (or: PYTHONPATH=. .venv/bin/python bench/recognition.py)

Photos: the corpus's recognition photos when ../shared/corpus is there, and the generated 12 MP
camera-like JPEG of bench/pipeline.py. The reference for the detector is the implementation the
model ships for, TensorFlow.js (CPU backend, in Node), run on the same input in the same run; it
is installed from npm into .tools/ the first time (skipped with --no-tfjs or without npm).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from local_pipeline import _config, throughput  # noqa: E402
from pipeline import twelve_megapixels  # noqa: E402

from processing import runtime  # noqa: E402
from processing.adapters.local_queue import Job  # noqa: E402
from processing.keys import UploadKey  # noqa: E402
from processing.local.pipeline import current_definition, run_execution  # noqa: E402
from processing.local.worker import handle  # noqa: E402
from processing.recognition import classifier  # noqa: E402
from processing.recognition.local import LocalRecognizer, LocalSettings  # noqa: E402
from processing.recognition.models.install import fetch_nanodet  # noqa: E402
from processing.recognition.models.manifest import (  # noqa: E402
    default_models_dir,
)
from processing.recognition.photo import (  # noqa: E402
    recognition_picture,
    recognize_picture,
)
from processing.runtime import PipelineConfig  # noqa: E402
from processing.thumbnails import upright_derivative  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
TFJS_DIR = ROOT / ".tools" / "tfjs-bench"
TFJS_PACKAGES = [f"@tensorflow/tfjs-{p}@4.22.0" for p in ("core", "converter", "backend-cpu")]


def median_ms(job: Callable[[], object], repeats: int) -> float:
    job()  # warm up outside the measurement
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        job()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def photos() -> list[tuple[str, bytes]]:
    found = []
    if (CORPUS / "manifest.json").exists():
        for entry in json.loads((CORPUS / "manifest.json").read_text()):
            if entry.get("expected_labels"):
                found.append((entry["file"], (CORPUS / entry["file"]).read_bytes()))
    twelve = twelve_megapixels()
    found.append(("generated 12 MP JPEG", twelve.data))
    return found


def per_photo_latency(recognizer: LocalRecognizer, repeats: int) -> None:
    print("## Recognition latency per photo (one thread, median)\n")
    print("| photo | derivative | detector | classifier | whole Recognize step |")
    print("|---|---|---|---|---|")
    for name, data in photos():
        # The step starts from the 1024 px thumbnail that Thumbnails stored.
        thumbnail = recognition_picture(data, recognizer)
        image = upright_derivative(thumbnail, box=recognizer.image_size)
        derivative = median_ms(
            lambda thumbnail=thumbnail: upright_derivative(thumbnail, box=recognizer.image_size),
            repeats,
        )
        detect = median_ms(lambda image=image: recognizer.detect(image), repeats)
        classify = median_ms(lambda image=image: recognizer.classify(image), repeats)
        whole = median_ms(
            lambda thumbnail=thumbnail: recognize_picture(thumbnail, recognizer), repeats
        )
        print(
            f"| {name} | {derivative:.0f} ms | {detect:.0f} ms | {classify:.0f} ms | "
            f"{whole:.0f} ms |",
            flush=True,
        )


SHIPPED = "shipped: int8 models, 1 crop"


def _configurations(models_dir: Path) -> dict[str, LocalRecognizer]:
    """The float32 models (as before issue 13), the float32 detector with the int8 classifier,
    what LocalRecognizer runs (both int8, NanoDet's first ten and head convolutions kept
    float32; one box crop), and the same reading four crops (issue 13's first cut). All run
    today's recognizer and preprocessing, second opinion included."""
    return {
        "float32 models": LocalRecognizer(models_dir, int8_detector=False, int8_classifier=False),
        "float32 detector, int8 classifier": LocalRecognizer(models_dir, int8_detector=False),
        "int8 models, 4 crops": LocalRecognizer(models_dir, LocalSettings(crops=4)),
        SHIPPED: LocalRecognizer(models_dir),
    }


RUNS_PER_TURN = 4


def cpu_ms(job: Callable[[], object]) -> float:
    """CPU ms of one run (this process's, all threads)."""
    started = time.process_time()
    job()
    return (time.process_time() - started) * 1000


def _in_turns(
    jobs: dict[tuple[str, str], Callable[[], object]], repeats: int
) -> dict[tuple[str, str], tuple[float, float]]:
    """Median CPU ms of each job warm, and of the first run of its turns. The jobs take turns of
    RUNS_PER_TURN runs, round after round, so that the machine's drift (its speed moves by 1.3x to
    1.8x within minutes) falls on all of them alike. A turn's first run follows another
    configuration's models, which no worker does (a worker loads one recognizer): it is reported
    apart, and the warm figure is the rest of the turn. CPU time is this process's, all threads:
    what a job costs, whatever else the machine runs."""
    for job in jobs.values():
        job()
    warm: dict[tuple[str, str], list[float]] = {name: [] for name in jobs}
    first: dict[tuple[str, str], list[float]] = {name: [] for name in jobs}
    for _ in range(repeats):
        for name, job in jobs.items():
            for run in range(RUNS_PER_TURN):
                (warm if run else first)[name].append(cpu_ms(job))
    return {name: (statistics.median(warm[name]), statistics.median(first[name])) for name in jobs}


PEAK_RSS = """
import json, sys
from pathlib import Path
from processing.recognition.local import LocalRecognizer, LocalSettings
from processing.recognition.models.manifest import default_models_dir
from processing.recognition.photo import recognize_photo
detector, classifier = sys.argv[2] == "int8", sys.argv[3] == "int8"
recognizer = LocalRecognizer(
    default_models_dir(),
    LocalSettings(crops=int(sys.argv[4])),
    int8_detector=detector,
    int8_classifier=classifier,
)
data = open(sys.argv[1], "rb").read()
for _ in range(11):
    recognize_photo(data, recognizer)
print(json.dumps({{"max_rss_mb": {peak}}}))
"""


def before_and_after(models_dir: Path, repeats: int) -> None:
    """Each stage of the Recognize step on the 12 MP JPEG, float32 against int8, medians."""
    sample = twelve_megapixels()
    configurations = _configurations(models_dir)
    rows: dict[str, dict[str, tuple[float, float]]] = {name: {} for name in configurations}
    pictures = {name: recognition_picture(sample.data, r) for name, r in configurations.items()}
    images = {
        name: upright_derivative(pictures[name], box=r.image_size)
        for name, r in configurations.items()
    }
    stages: dict[str, Callable[[str, LocalRecognizer], Callable[[], object]]] = {
        "derivative": lambda name, r: lambda: upright_derivative(pictures[name], box=r.image_size),
        "detector": lambda name, r: lambda: r.detect(images[name]),
        "classifier, batch of 1": lambda name, r: _classifier_batch(r, images[name], 1),
        "classifier, batch of 2": lambda name, r: _classifier_batch(r, images[name], 2),
        "classifier, batch of 5": lambda name, r: _classifier_batch(r, images[name], 5),
        "whole Recognize step": lambda name, r: lambda: recognize_picture(pictures[name], r),
    }
    jobs = {
        (stage, name): make(name, r)
        for stage, make in stages.items()
        for name, r in configurations.items()
    }
    for (stage, name), value in _in_turns(jobs, repeats).items():
        rows[name][stage] = value
    peaks = {}
    for name, r in configurations.items():
        detector = "int8" if r.detector_version.endswith("+int8") else "float32"
        classifier = "int8" if r.classifier_version.endswith("+int8") else "float32"
        code = PEAK_RSS.format(peak=PEAK)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                str(sample.path),
                detector,
                classifier,
                str(r.settings.crops),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        peaks[name] = json.loads(done.stdout.strip().splitlines()[-1])["max_rss_mb"]
    print("## The Recognize step by model precision (12 MP JPEG, one thread, medians)\n")
    print(
        f"CPU ms warm (and the first run of a turn), medians over {repeats} rounds; in each "
        f"round every stage of every configuration takes a turn of {RUNS_PER_TURN} runs, the "
        "first of which follows another configuration's models (no worker does: it loads one "
        "recognizer), so it is reported apart. The step "
        "reads the stored 1024 px thumbnail, decoded at 5/8 (the derivative). Detector: "
        "preprocessing, network, decoding and NMS; classifier: preprocessing and network (a "
        "batch of 2 stands for the whole picture and the one box crop the step reads, a batch "
        "of 5 for four crops: the same tensor repeated here). The whole step includes the "
        "second opinion's crops. Peak RSS: a fresh process recognizing 11 photos.\n"
    )
    stage_names = list(stages)
    print(
        "| configuration | "
        + " | ".join(stage_names)
        + " | derivative + detector + classifier of 1 | peak RSS |"
    )
    print("|---" * (len(stage_names) + 3) + "|")
    for name, row in rows.items():
        core = [
            sum(row[stage][i] for stage in ("derivative", "detector", "classifier, batch of 1"))
            for i in (0, 1)
        ]
        cells = " | ".join(f"{row[stage][0]:.1f} ({row[stage][1]:.1f})" for stage in stage_names)
        print(
            f"| {name} | {cells} | {core[0]:.1f} ({core[1]:.1f}) | {peaks[name]:.0f} MB |",
            flush=True,
        )
    step = {name: row["whole Recognize step"][0] for name, row in rows.items()}
    reference, shipped = step["float32 models"], step[SHIPPED]
    print(
        f"\nThe shipped step, warm, takes {shipped / reference:.2f} of the float32 models' step "
        f"in the same run ({shipped:.1f} against {reference:.1f} ms).\n"
    )


def _classifier_batch(
    recognizer: LocalRecognizer, image: object, size: int
) -> Callable[[], object]:
    import numpy as np

    def run() -> object:
        tensor = classifier.preprocess(image)  # type: ignore[arg-type]
        batch = np.repeat(tensor, size, axis=0) if size > 1 else tensor
        return recognizer._classifier.run(None, {"image": batch})

    return run


# The machine's speed: a window is at full speed when the reference in it is within this factor
# of the fastest window's.
FULL_SPEED = 1.15
WINDOW_RUNS = 7


def step_by_machine_speed(recognizer: LocalRecognizer, models_dir: Path, windows: int) -> None:
    """The shipped step in short windows spread over a minute or two, each beside a fixed
    reference (the float32 classifier on one picture: onnxruntime, one thread, no code of the
    step's). This machine shares its cores: in some windows every workload runs about 1.3-1.4x
    slower, the reference too. Windows are sorted by the reference, so the step is reported at
    the machine's full speed and slowed, instead of as one median of whichever mix a run met."""
    sample = twelve_megapixels()
    picture = recognition_picture(sample.data, recognizer)
    tensor = classifier.preprocess(upright_derivative(picture, box=recognizer.image_size))
    reference_model = LocalRecognizer(models_dir, int8_detector=False, int8_classifier=False)

    def step() -> object:
        return recognize_picture(picture, recognizer)

    def reference() -> object:
        return reference_model._classifier.run(None, {"image": tensor})

    step()  # warm both outside the measurement
    reference()
    measured: list[tuple[float, float]] = []  # (reference, step) medians per window
    started = time.strftime("%H:%M")
    for _ in range(windows):
        runs = [(cpu_ms(reference), cpu_ms(step)) for _ in range(WINDOW_RUNS)]
        measured.append(
            (statistics.median(r for r, _ in runs), statistics.median(s for _, s in runs))
        )
        time.sleep(1)  # spread the windows over the machine's changes of pace
    fastest = min(reference_ms for reference_ms, _ in measured)
    full = [w for w in measured if w[0] <= fastest * FULL_SPEED]
    slowed = [w for w in measured if w[0] > fastest * FULL_SPEED]
    print(
        f"\n## The Recognize step by the machine's speed (12 MP JPEG, {windows} windows of "
        f"{WINDOW_RUNS} steps, {started}-{time.strftime('%H:%M')})\n"
    )
    print(
        "Median CPU ms. Reference: the float32 classifier on one picture, run beside the step in "
        f"each window. Full speed: the reference within {FULL_SPEED:.2f}x of the fastest "
        "window's.\n"
    )
    print("| windows | count | reference | the step | step / reference |")
    print("|---|---|---|---|---|")
    for name, chosen in (("at full speed", full), ("slowed", slowed), ("all", measured)):
        if not chosen:
            print(f"| {name} | 0 | | | |")
            continue
        reference_ms = statistics.median(r for r, _ in chosen)
        step_ms = statistics.median(s for _, s in chosen)
        print(
            f"| {name} | {len(chosen)} | {reference_ms:.1f} ms | {step_ms:.1f} ms | "
            f"{statistics.median(s / r for r, s in chosen):.2f} |",
            flush=True,
        )


def _without_recognition(definition: dict[str, object]) -> dict[str, object]:
    """The definition with Recognize answering no labels at once (a Pass state in its place,
    with its result where RecordSuccess reads it)."""
    edited = copy.deepcopy(definition)
    states = edited["States"]
    assert isinstance(states, dict)
    recognize = states["Recognize"]
    states["Recognize"] = {
        "Type": "Pass",
        "Result": {"labels": []},
        "ResultPath": recognize["ResultPath"],
        "Next": recognize["Next"],
    }
    return edited


def _execution_job(config: PipelineConfig) -> Job:
    """Runs the queued S3 events (the upload's starts its execution; the thumbnails' a previous
    photo stored are ignored by the trigger) until the execution's job is next, and takes it."""
    queue = config.local_queue()
    while True:
        job = queue.take()
        assert job is not None, "the upload started no execution"
        if job.kind == "execution":
            return job
        handle(job, config)
        queue.done(job)


def pipeline_added_latency(repeats: int) -> None:
    """The whole pipeline in this process, photo after photo, with and without the branch."""
    data = twelve_megapixels().data
    full = current_definition()
    variants = {"with recognition": full, "without recognition": _without_recognition(full)}
    results: dict[str, list[float]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as scratch:
        config = _config(Path(scratch))
        runtime.configure(config)  # the handlers' configuration too, not the one built earlier
        executions = config.local_executions()
        for round_number in range(repeats + 1):
            for name, definition in variants.items():
                key = UploadKey("1", "1", str(uuid.uuid4()), "jpg")
                config.local_bucket().put_object(str(key), data, content_type="image/jpeg")
                job = _execution_job(config)
                queue = config.local_queue()
                started = time.perf_counter()
                execution = run_execution(executions, job.body["name"], definition=definition)
                elapsed = (time.perf_counter() - started) * 1000
                queue.done(job)
                assert execution.status == "SUCCEEDED", execution.error
                if round_number:  # the first round warms up
                    results[name].append(elapsed)
    with_ms = statistics.median(results["with recognition"])
    without_ms = statistics.median(results["without recognition"])
    print("\n## What recognition adds to a photo's pipeline (12 MP JPEG, one worker)\n")
    print("| definition | median per photo |")
    print("|---|---|")
    print(f"| without the recognition branch | {without_ms:.0f} ms |")
    print(f"| with it (Recognize after Thumbnails) | {with_ms:.0f} ms |")
    print(f"| added by recognition | {with_ms - without_ms:.0f} ms |")


def _rss_probe(code: str, path: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# Peak memory from VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts at its parent's peak
# (it survives fork and exec), which here would be this benchmark's own.
PEAK = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024"

COLD_START = """
import json, sys, time
started = time.perf_counter()
from processing.recognition.local import LocalRecognizer
from processing.recognition.models.manifest import default_models_dir
from processing.recognition.photo import recognize_photo
imported = time.perf_counter()
recognizer = LocalRecognizer(default_models_dir())
loaded = time.perf_counter()
data = open(sys.argv[1], "rb").read()
recognize_photo(data, recognizer)
first = time.perf_counter()
for _ in range(10):
    recognize_photo(data, recognizer)
print(json.dumps({{
    "import_ms": (imported - started) * 1000,
    "load_ms": (loaded - imported) * 1000,
    "first_ms": (first - loaded) * 1000,
    "max_rss_mb": {peak},
}}))
"""

BASELINE = """
import json, sys
import processing.local.worker, processing.thumbnails
from processing.thumbnails import make_thumbnails
data = open(sys.argv[1], "rb").read()
for _ in range(11):
    make_thumbnails(data)
print(json.dumps({{"max_rss_mb": {peak}}}))
"""


def cold_start_and_memory() -> None:
    sample = twelve_megapixels()
    probe = _rss_probe(COLD_START.format(peak=PEAK), sample.path)
    baseline = _rss_probe(BASELINE.format(peak=PEAK), sample.path)
    print("\n## Cold start and memory (a fresh process, 12 MP JPEG)\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| import onnxruntime and the recognizer | {probe['import_ms']:.0f} ms |")
    print(f"| load both models (hash check, sessions) | {probe['load_ms']:.0f} ms |")
    print(f"| first photo | {probe['first_ms']:.0f} ms |")
    print(f"| peak RSS, recognizing 11 photos | {probe['max_rss_mb']:.0f} MB |")
    print(
        f"| peak RSS, thumbnails of 11 photos, no recognition | {baseline['max_rss_mb']:.0f} MB |"
    )


def pipeline_throughput(count: int) -> None:
    data = twelve_megapixels().data
    print(f"\n## Throughput with recognition ({count} 12 MP JPEGs uploaded at once)\n")
    print("| workers | photos per second |")
    print("|---|---|")
    for workers in (1, 2):
        print(f"| {workers} | {throughput(data, workers, count):.2f} |", flush=True)


TFJS_TIMING = """
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfconv = require('@tensorflow/tfjs-converter');
const fs = require('fs'), path = require('path');
(async () => {
  const dir = process.argv[2], runs = Number(process.argv[3]);
  const model = JSON.parse(fs.readFileSync(path.join(dir, 'nanodet.json')));
  const bin = fs.readFileSync(path.join(dir, 'nanodet.bin'));
  await tf.setBackend('cpu');
  const graph = await tfconv.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, weightSpecs: model.weightsManifest[0].weights,
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  }));
  const input = tf.randomUniform([1, 3, 416, 416], -2, 2);
  tf.dispose(graph.execute({input_1: input}));
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    tf.dispose(graph.execute({input_1: input}));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({median_ms: times[Math.floor(times.length / 2)]}));
})();
"""


def detector_against_tfjs(recognizer: LocalRecognizer, runs: int) -> None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        print("\n(TensorFlow.js comparison skipped: no node/npm)")
        return
    if not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs-converter").exists():
        TFJS_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(TFJS_DIR), *TFJS_PACKAGES], check=True
        )
    with tempfile.TemporaryDirectory() as scratch:
        folder = fetch_nanodet(Path(scratch)).parent  # the same checked files the installer uses
        script = folder / "timing.js"
        script.write_text(TFJS_TIMING)
        done = subprocess.run(
            ["node", str(script), str(folder), str(runs)],
            env={**os.environ, "NODE_PATH": str(TFJS_DIR / "node_modules")},
            capture_output=True,
            text=True,
            check=True,
        )
    tfjs_ms = json.loads(done.stdout.strip().splitlines()[-1])["median_ms"]
    import numpy as np

    tensor = np.random.default_rng(0).uniform(-2, 2, (1, 3, 416, 416)).astype(np.float32)
    ours_ms = median_ms(lambda: recognizer._detector.run(None, {"input_1": tensor}), runs)
    print("\n## NanoDet-g inference: onnxruntime (ours) against TensorFlow.js (CPU backend)\n")
    print("| runtime | median per image | ratio |")
    print("|---|---|---|")
    print(f"| onnxruntime, 1 thread | {ours_ms:.1f} ms | 1 |")
    print(
        f"| TensorFlow.js 4.22, Node, cpu backend | {tfjs_ms:.0f} ms | {tfjs_ms / ours_ms:.0f}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--photos", type=int, default=30, help="photos in the throughput burst")
    parser.add_argument(
        "--windows", type=int, default=60, help="windows of the step by the machine's speed"
    )
    parser.add_argument("--no-tfjs", action="store_true", help="skip the TensorFlow.js reference")
    parser.add_argument(
        "--only-before-after", action="store_true", help="only the float32/int8 comparison"
    )
    parser.add_argument(
        "--only-machine-speed", action="store_true", help="only the step by the machine's speed"
    )
    args = parser.parse_args()
    print("# Local recognition benchmark\n")
    print(f"{os.cpu_count()} cores; onnxruntime with one intra-op thread per worker.\n")
    if args.only_machine_speed:
        step_by_machine_speed(
            LocalRecognizer(default_models_dir()), default_models_dir(), args.windows
        )
        return
    before_and_after(default_models_dir(), args.repeats)
    if args.only_before_after:
        return
    recognizer = LocalRecognizer(default_models_dir())
    per_photo_latency(recognizer, args.repeats)
    step_by_machine_speed(recognizer, default_models_dir(), args.windows)
    pipeline_added_latency(args.repeats)
    cold_start_and_memory()
    pipeline_throughput(args.photos)
    if not args.no_tfjs:
        detector_against_tfjs(recognizer, runs=5)


if __name__ == "__main__":
    main()
