"""The ONNX file format's few messages that a graph of ours needs, written as protobuf bytes.

A model, its graph, nodes, attributes (int, float, ints, string), tensors (raw little-endian data) and
typed inputs and outputs. The ``onnx`` package would do it through protobuf, but it is 31 MB of
install (a C extension, and a protobuf that MediaPipe's pin clashes with) for six messages; the
app and its bundle run without it. ``tests/model/test_onnx_proto.py`` reads what this writes back
with ``onnx`` itself and its checker.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import numpy as np

IR_VERSION = 8
FLOAT, INT64 = 1, 7  # TensorProto.DataType
_ATTR_FLOAT, _ATTR_INT, _ATTR_STRING, _ATTR_INTS = 1, 2, 3, 7  # AttributeProto.AttributeType
_DTYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64}


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64s as two's complement, as protobuf does
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, data: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _str(field: int, text: str) -> bytes:
    return _bytes(field, text.encode())


def tensor(name: str, array: np.ndarray) -> bytes:
    """A TensorProto holding ``array`` (float32 or int64)."""
    array = np.ascontiguousarray(array)
    code = _DTYPES[array.dtype]
    dims = b"".join(_int(1, d) for d in array.shape)
    return dims + _int(2, code) + _str(8, name) + _bytes(9, array.astype(array.dtype.newbyteorder("<")).tobytes())


def _attribute(name: str, value: int | float | str | Sequence[int]) -> bytes:
    if isinstance(value, str):
        return _str(1, name) + _str(4, value) + _int(20, _ATTR_STRING)
    if isinstance(value, float):
        return _str(1, name) + _varint(2 << 3 | 5) + struct.pack("<f", value) + _int(20, _ATTR_FLOAT)
    if isinstance(value, int):
        return _str(1, name) + _int(3, value) + _int(20, _ATTR_INT)
    return _str(1, name) + b"".join(_int(8, int(v)) for v in value) + _int(20, _ATTR_INTS)


def node(op: str, inputs: Iterable[str], outputs: Iterable[str], name: str = "",
         **attributes: int | float | str | Sequence[int]) -> bytes:
    """A NodeProto of the default domain."""
    return (b"".join(_str(1, i) for i in inputs) + b"".join(_str(2, o) for o in outputs) + _str(3, name)
            + _str(4, op) + b"".join(_bytes(5, _attribute(k, v)) for k, v in attributes.items()))


def value_info(name: str, elem_type: int, dims: Sequence[int | str]) -> bytes:
    """A typed graph input or output; a str dimension is a named free one (a batch axis)."""
    shape = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _str(2, d)) for d in dims)
    return _str(1, name) + _bytes(2, _bytes(1, _int(1, elem_type) + _bytes(2, shape)))


def model(nodes: Iterable[bytes], initializers: Iterable[bytes], inputs: Iterable[bytes],
          outputs: Iterable[bytes], opset: int, name: str = "graph", producer: str = "poseapp") -> bytes:
    """A ModelProto: the graph and its opset of the default domain."""
    graph = (b"".join(_bytes(1, n) for n in nodes) + _str(2, name)
             + b"".join(_bytes(5, t) for t in initializers)
             + b"".join(_bytes(11, i) for i in inputs) + b"".join(_bytes(12, o) for o in outputs))
    return _int(1, IR_VERSION) + _str(2, producer) + _bytes(7, graph) + _bytes(8, _str(1, "") + _int(2, opset))
