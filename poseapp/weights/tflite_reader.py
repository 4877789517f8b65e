"""A minimal TFLite flatbuffer reader: tensors, operators and constant data, no TensorFlow.

Only the fields the converters need are decoded (schema.fbs field order). Float16 weights that
upstream stores behind DEQUANTIZE ops are followed back to their constant and widened to float32;
weights stored in TFLite's sparse format (behind DENSIFY ops, as in MediaPipe's person detector)
are densified once, here, from their dimension metadata.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from flatbuffers.number_types import Int8Flags, Int32Flags, Uint32Flags, Uint64Flags
from flatbuffers.table import Table

from poseapp.errors import PoseappError

CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE, TRANSPOSE_CONV, DENSIFY = 3, 4, 6, 67, 124
_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


class _Node:
    """One flatbuffer table, read field by field (field i lives at vtable slot 4 + 2i)."""

    def __init__(self, buf: bytes, pos: int) -> None:
        self.t = Table(buf, pos)

    def _field(self, i: int) -> int:
        return self.t.Offset(4 + 2 * i)

    def scalar(self, i: int, flags, default: int = 0) -> int:
        o = self._field(i)
        return self.t.Get(flags, self.t.Pos + o) if o else default

    def string(self, i: int) -> str:
        o = self._field(i)
        return self.t.String(self.t.Pos + o).decode() if o else ""

    def tables(self, i: int) -> list[_Node]:
        o = self._field(i)
        if not o:
            return []
        start = self.t.Vector(o)
        return [_Node(self.t.Bytes, self.t.Indirect(start + 4 * k)) for k in range(self.t.VectorLen(o))]

    def table(self, i: int) -> _Node | None:
        o = self._field(i)
        return _Node(self.t.Bytes, self.t.Indirect(self.t.Pos + o)) if o else None

    def array(self, i: int, dtype) -> np.ndarray:
        o = self._field(i)
        if not o:
            return np.zeros(0, dtype)
        return np.frombuffer(self.t.Bytes, dtype, self.t.VectorLen(o), self.t.Vector(o))


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: type
    data: np.ndarray | None  # constant data, None for activations


@dataclass
class Operator:
    code: int
    inputs: list[int]
    outputs: list[int]
    options: _Node | None = None  # the builtin options table, read by the converter that knows its type


class TFLiteGraph:
    """The first subgraph of a .tflite file: its tensors and operators in execution order."""

    def __init__(self, path: Path) -> None:
        buf = Path(path).read_bytes()
        if len(buf) < 8 or buf[4:8] != b"TFL3":
            raise PoseappError(f"{path} is not a TFLite model (no TFL3 identifier)")
        try:
            model = _Node(buf, struct.unpack_from("<I", buf, 0)[0])
            codes = [max(c.scalar(0, Int8Flags), c.scalar(3, Int32Flags)) for c in model.tables(1)]
            buffers = [self._buffer(buf, b) for b in model.tables(4)]
            graph = model.tables(2)[0]
            self.tensors = [
                Tensor(t.string(3), tuple(int(s) for s in t.array(0, np.int32)),
                       _DTYPES.get(t.scalar(1, Int8Flags), np.uint8), None)
                for t in graph.tables(0)
            ]
            for tensor, t in zip(self.tensors, graph.tables(0)):
                raw = buffers[t.scalar(2, Uint32Flags)]
                if raw is not None and raw.size:
                    values = raw.view(tensor.dtype)
                    sparsity = t.table(6)
                    tensor.data = (values.reshape(tensor.shape) if sparsity is None
                                   else densify(values, tensor.shape, sparsity))
            self.inputs = [int(i) for i in graph.array(1, np.int32)]
            self.outputs = [int(i) for i in graph.array(2, np.int32)]
            self.operators = [
                Operator(codes[o.scalar(0, Uint32Flags)], list(o.array(1, np.int32)), list(o.array(2, np.int32)),
                         o.table(4))
                for o in graph.tables(3)
            ]
        except (IndexError, struct.error, ValueError) as exc:
            raise PoseappError(f"{path} is a corrupt TFLite file: {exc}") from exc
        self._producer = {out: op for op in self.operators for out in op.outputs}

    @staticmethod
    def _buffer(buf: bytes, node: _Node) -> np.ndarray | None:
        data = node.array(0, np.uint8)
        offset, size = node.scalar(1, Uint64Flags), node.scalar(2, Uint64Flags)
        if not data.size and offset > 1:
            data = np.frombuffer(buf, np.uint8, size, offset)
        return data if data.size else None

    def constant(self, index: int) -> np.ndarray:
        """A constant tensor as float32, following DEQUANTIZE and DENSIFY back to their source."""
        tensor = self.tensors[index]
        if tensor.data is None:
            op = self._producer.get(index)
            if op is None or op.code not in (DEQUANTIZE, DENSIFY):
                raise PoseappError(f"TFLite tensor {tensor.name!r} is not a constant")
            return self.constant(op.inputs[0])
        return tensor.data.astype(np.float32)


def densify(values: np.ndarray, shape: tuple[int, ...], sparsity: _Node) -> np.ndarray:
    """A tensor stored in TFLite's sparse format, dense: ``values`` walked through the dimension
    metadata (dense or CSR, in traversal order, blocked dimensions split by the block map)."""
    order = [int(d) for d in sparsity.array(0, np.int32)]
    block_map = [int(d) for d in sparsity.array(1, np.int32)]
    levels = sparsity.tables(2)
    n = len(shape)
    if sorted(order) != list(range(len(levels))) or len(order) != n + len(block_map):
        raise ValueError("sparse tensor with inconsistent dimension metadata")
    dense_sizes = [lv.scalar(1, Int32Flags) for lv in levels]
    block = {dim: dense_sizes[order.index(n + k)] for k, dim in enumerate(block_map)}
    out = np.zeros(shape, values.dtype)
    index = [0] * len(order)

    def walk(level: int, pos: int) -> None:
        if level == len(levels):
            dense = list(index[:n])
            for k, dim in enumerate(block_map):
                dense[dim] = dense[dim] * block[dim] + index[n + k]
            out[tuple(dense)] = values[pos]
            return
        meta = levels[level]
        if meta.scalar(0, Int8Flags) == 0:  # DENSE
            for i in range(dense_sizes[level]):
                index[order[level]] = i
                walk(level + 1, pos * dense_sizes[level] + i)
            return
        segments, indices = (_index_vector(meta, field) for field in (2, 4))
        for k in range(int(segments[pos]), int(segments[pos + 1])):
            index[order[level]] = int(indices[k])
            walk(level + 1, k)

    walk(0, 0)
    return out


def _index_vector(meta: _Node, type_field: int) -> np.ndarray:
    """A DimensionMetadata's segments (field 2) or indices (field 4): an Int32, Uint16 or Uint8 vector."""
    kind = meta.scalar(type_field, Int8Flags)
    table = meta.table(type_field + 1)
    if table is None or kind not in (1, 2, 3):
        raise ValueError("sparse dimension without its index vector")
    return table.array(0, {1: np.int32, 2: np.uint16, 3: np.uint8}[kind])
