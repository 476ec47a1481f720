"""Static int8 quantization (QDQ) of the recognition models, from committed activation ranges.

onnxruntime's static quantization needs the range (min, max) of every activation tensor, which
is measured by running the float32 model over representative pictures: that is calibration. It
is done once, on the development photos (../shared/recognition), by

    python -m processing.recognition.models calibrate ../shared/recognition

which writes processing/recognition/data/<model>.ranges.json (onnxruntime's own calibration
cache format, plus what it was measured on). Those files are committed, so `install` quantizes
on any machine, without the photos, to the same bytes every time: the model is prepared
(onnxruntime's quant_pre_process: shape inference, transposes cancelled, Conv and Add fused),
then quantized by quantize_static from the cached ranges (``calibration_cache_path``).

The settings are the ones onnxruntime recommends for x86 with VNNI: QDQ format, unsigned 8-bit
activations, signed 8-bit weights per output channel, no range reduction; MinMax calibration.
Dynamic quantization (each activation quantized at run time) was measured slower than float32
on this machine before this work, so it is not offered.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from processing.files import write_atomically
from processing.recognition.models.manifest import (
    CLASSIFIER,
    DETECTOR,
    ModelsUnavailable,
    read_json,
)

RANGES_DIR = Path(__file__).resolve().parents[1] / "data"
INPUT_NAMES = {DETECTOR: "input_1", CLASSIFIER: "image"}
# How many of the model's first convolutions stay float32 (with everything before them). Fully
# int8, NanoDet-g's scores move by 0.019 on average against float32 (worst 0.088) where float32
# scores over 0.25 on the dev photos, enough to drop an expected label and add one wrong near
# the 0.35 threshold. Keeping the input unquantized and the two stem convolutions in float32
# brings that to 0.013 (worst 0.065) at the same speed, and loses nothing on the accuracy sets
# (docs/models.md). EfficientNet-Lite0 loses nothing fully int8.
# That still adds wrong labels against float32 on the dev photos (26-27/29 found, 5 wrong,
# against 27/29 and 3). Keeping the first 10 convolutions and each level's last head convolution
# (the one whose output is split into scores and boxes: FLOAT_HEAD) in float32 gives float32's
# counts (27/29, 3 wrong; corpus 7/7, 0 wrong) at about 19.5 ms, against 15 with 2 float32
# convolutions and 34-44 all float32 (1 thread, 416x416). Entropy or Percentile ranges alone
# (calibrate --method) did not.
FLOAT_CONVS = {DETECTOR: 10, CLASSIFIER: 0}
FLOAT_HEAD = {DETECTOR: 1, CLASSIFIER: 0}
CALIBRATE_COMMAND = "python -m processing.recognition.models calibrate ../shared/recognition"


def ranges_path(name: str) -> Path:
    return RANGES_DIR / f"{name}.ranges.json"


def model_sha256(model: onnx.ModelProto) -> str:
    return hashlib.sha256(model.SerializeToString()).hexdigest()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """onnxruntime.quantization logs advice and warns about tensors it leaves alone; the
    installer's output is ours to write."""
    import logging

    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def prepare(model: onnx.ModelProto, scratch: Path) -> Path:
    """The float32 model as quantization sees it (quant_pre_process), saved in ``scratch``: the
    graph whose tensor names the ranges are recorded under."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    source, prepared = scratch / "model.onnx", scratch / "prepared.onnx"
    onnx.save(model, str(source))
    with _quiet():
        quant_pre_process(str(source), str(prepared))
    graph = onnx.load(str(prepared))
    for index, node in enumerate(graph.graph.node):  # named, so that nodes can be excluded
        if not node.name:
            node.name = f"{node.op_type}_{index}"
    onnx.save(graph, str(prepared))
    return prepared


def quantize(
    model: onnx.ModelProto,
    name: str,
    *,
    ranges: Path | None = None,
    float_convs: int | None = None,
    float_head: int | None = None,
    per_channel: bool = True,
    symmetric_activations: bool = False,
) -> onnx.ModelProto:
    """The int8 QDQ model of a float32 model, from its committed ranges; deterministic. The
    nodes before its ``float_convs``-th convolution (FLOAT_CONVS) stay float32, and so do the
    last ``float_head`` convolutions before each output (FLOAT_HEAD, with what follows them).
    The ranges' calibration method (MinMax, Entropy, Percentile) is the one recorded in them."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    ranges = ranges or ranges_path(name)
    recorded = read_json(
        ranges, f"No calibration ranges for {name} ({ranges}): run `{CALIBRATE_COMMAND}`."
    )
    if recorded.get("model_sha256") != model_sha256(model):
        raise ModelsUnavailable(
            f"{ranges.name} was calibrated on another {name} model (the converter changed "
            f"since): run `{CALIBRATE_COMMAND}` and commit the ranges."
        )
    with tempfile.TemporaryDirectory(prefix="photoshare-quantize-") as directory:
        scratch = Path(directory)
        prepared = prepare(model, scratch)
        graph = onnx.load(str(prepared))
        _check_coverage(graph, recorded, ranges)
        keep = FLOAT_CONVS.get(name, 0) if float_convs is None else float_convs
        convs = [i for i, node in enumerate(graph.graph.node) if node.op_type == "Conv"]
        first_quantized = convs[keep] if keep < len(convs) else len(graph.graph.node)
        excluded = [node.name for node in graph.graph.node[:first_quantized]]
        head = FLOAT_HEAD.get(name, 0) if float_head is None else float_head
        excluded += _head_nodes(graph, head)
        method = recorded.get("calibration_method", {}).get("value", "CalibrationMethod.MinMax")
        output = scratch / "int8.onnx"
        with _quiet():
            quantize_static(
                str(prepared),
                str(output),
                calibration_data_reader=None,
                calibration_cache_path=ranges,
                quant_format=QuantFormat.QDQ,
                calibrate_method=CalibrationMethod[method.split(".")[-1]],
                per_channel=per_channel,
                reduce_range=False,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=excluded,
                extra_options={"ActivationSymmetric": symmetric_activations},
            )
        return onnx.load(str(output))


def _head_nodes(prepared: onnx.ModelProto, convs: int) -> list[str]:
    """The nodes from each graph output back to (and including) the ``convs``-th convolution met
    on the way (first inputs followed): the detection heads."""
    if convs <= 0:
        return []
    producer = {output: node for node in prepared.graph.node for output in node.output}
    names: list[str] = []
    for output in prepared.graph.output:
        tensor, met = output.name, 0
        while met < convs and tensor in producer:
            node = producer[tensor]
            if node.name not in names:
                names.append(node.name)
            met += node.op_type == "Conv"
            tensor = node.input[0]
    return names


def _check_coverage(prepared: onnx.ModelProto, recorded: dict[str, Any], ranges: Path) -> None:
    """Every convolution's input and output has a range (quantize_static would silently leave
    a convolution in float32 without one)."""
    needed = {
        name
        for node in prepared.graph.node
        if node.op_type == "Conv"
        for name in (node.input[0], node.output[0])
    }
    missing = sorted(needed - set(recorded["data"]))
    if missing:
        raise ModelsUnavailable(
            f"{ranges.name} has no range for {missing[:3]}: run `{CALIBRATE_COMMAND}`."
        )


def calibrate(
    models: dict[str, onnx.ModelProto],
    inputs: dict[str, list[np.ndarray]],
    *,
    described: str,
    directory: Path = RANGES_DIR,
    method: str = "MinMax",
    options: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Measures each float32 model's activation ranges (``method``: MinMax, Entropy or
    Percentile, with onnxruntime's calibrator ``options`` such as num_bins, percentile,
    symmetric) over its preprocessed inputs and writes them as ``<name>.ranges.json`` in
    ``directory``; returns the files."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod
    from onnxruntime.quantization.calibrate import CalibrationCacheEncoder, create_calibrator

    class Reader(CalibrationDataReader):
        def __init__(self, feeds: list[dict[str, np.ndarray]]) -> None:
            self._feeds = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._feeds, None)

    written = {}
    for name, model in models.items():
        with tempfile.TemporaryDirectory(prefix="photoshare-calibrate-") as directory_name:
            scratch = Path(directory_name)
            prepared = prepare(model, scratch)
            with _quiet():
                calibrator = create_calibrator(
                    prepared,
                    augmented_model_path=str(scratch / "augmented.onnx"),
                    calibrate_method=CalibrationMethod[method],
                    providers=["CPUExecutionProvider"],
                    extra_options=options or {},
                )
                calibrator.collect_data(
                    Reader([{INPUT_NAMES[name]: tensor} for tensor in inputs[name]])
                )
                tensors = calibrator.compute_data()
        payload = {
            "model": name,
            "model_sha256": model_sha256(model),
            "calibrated_on": described,
            "pictures": len(inputs[name]),
            "smooth_quant": False,
            **tensors.to_dict(),
        }
        path = directory / f"{name}.ranges.json"
        text = json.dumps(payload, cls=CalibrationCacheEncoder, indent=1, sort_keys=True)
        write_atomically(path, (text + "\n").encode())
        written[name] = path
    return written
