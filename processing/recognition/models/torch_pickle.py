"""Reads a state dict saved by torch.save in the legacy (pre-1.6, non-zip) format, without torch.

A pickle can run arbitrary code, so the unpickler admits exactly the four globals a state dict
needs and nothing else; tensors become numpy arrays. The legacy layout is: magic number,
protocol version, system info, the state dict pickle (tensors as persistent ids naming a
storage), the list of storage keys, then each storage as an int64 element count and raw data.
"""

from __future__ import annotations

import collections
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES: dict[str, type[np.generic]] = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}


class UnsafePickle(pickle.UnpicklingError):
    """The file asks for something a plain state dict never needs."""


@dataclass(frozen=True)
class _TensorRef:
    storage_key: str
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: type[np.generic]


def _rebuild_tensor_v2(
    storage: _StorageRef, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> _TensorRef:
    return _TensorRef(storage.key, offset, tuple(size), tuple(stride))


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file)
        self.storages: dict[str, type[np.generic]] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        raise UnsafePickle(f"refusing to load {module}.{name} from a model file")

    def persistent_load(self, pid: Any) -> _StorageRef:
        kind, storage_type, key, *_ = pid
        if kind != "storage" or storage_type not in _STORAGE_DTYPES:
            raise UnsafePickle(f"unexpected persistent id {pid!r}")
        dtype = _STORAGE_DTYPES[storage_type]
        self.storages[key] = dtype
        return _StorageRef(key, dtype)


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    with path.open("rb") as file:
        # Even the header pickles go through the restricted unpickler: they hold plain values.
        if _StateDictUnpickler(file).load() != _LEGACY_MAGIC:
            raise UnsafePickle(f"{path.name} is not a legacy torch.save file")
        _StateDictUnpickler(file).load()  # protocol version
        _StateDictUnpickler(file).load()  # system info
        unpickler = _StateDictUnpickler(file)
        state = unpickler.load()
        keys = _StateDictUnpickler(file).load()
        storages: dict[str, np.ndarray] = {}
        for key in keys:
            dtype = unpickler.storages[key]
            (count,) = struct.unpack("<q", file.read(8))
            storages[key] = np.frombuffer(file.read(count * np.dtype(dtype).itemsize), dtype=dtype)

    arrays: dict[str, np.ndarray] = {}
    for name, ref in state.items():
        flat = storages[ref.storage_key]
        itemsize = flat.itemsize
        arrays[name] = np.lib.stride_tricks.as_strided(
            flat[ref.offset :],
            shape=ref.size,
            strides=tuple(s * itemsize for s in ref.stride),
        ).copy()
    return arrays
