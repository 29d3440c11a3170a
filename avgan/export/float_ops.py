"""Keeping chosen ops of a dynamic-range int8 TFLite model in float.

Dynamic-range quantisation stores the weights of FULLY_CONNECTED and CONV_2D ops as
int8 and quantises their float inputs to int8 on the fly, one scale per tensor (or
row). That is harmless inside a generator, but not for the S2I sound encoder's front
end: its mel filterbank multiplies a power spectrum whose values span ~10 orders of
magnitude, so one int8 scale rounds every quiet bin to 0, the log-mel loses everything
below the loudest partials, and the picture drawn from it is another scene (measured on
a trained run: standardised log-mel off by 0.53 on average, picture mean |diff| 0.24 on
[-1, 1]; with the front end in float, 0.004; docs/export.md, "int8").

TF 2.17's converter has no per-op exclusion for dynamic-range quantisation (the
QuantizationDebugger's denylist is for full-integer models, which drew worse pictures
from this generator: mean |diff| 0.025), so `keep_float` edits the converted model:
the int8 weights of the ops under the given name scopes are dequantised back to
float32 (the op then runs as a plain float op). Per-channel int8 weights carry at most
half a step of error (1/254 of each channel's largest weight), far below the error of
quantising the op's input.
"""

from __future__ import annotations

import re

import numpy as np


def _scope_pattern(scopes: list[str] | tuple[str, ...]) -> re.Pattern:
    # Graph names get a uniquifying suffix ('sound_features_1/MatMul'); fused ops join
    # several names with ';'.
    names = "|".join(re.escape(s) for s in scopes)
    return re.compile(rf"(^|;)({names})(_\d+)?/")


def keep_float(flatbuffer: bytes, scopes: list[str] | tuple[str, ...]) -> tuple[bytes, list[str]]:
    """The model with the int8 weights of every op whose output is named under one of
    `scopes` dequantised to float32; and those ops' output names (empty: nothing to do).

    Args:
        flatbuffer: a TFLite model (bytes), e.g. a dynamic-range int8 conversion.
        scopes: TF name scopes (Keras layer names), e.g. ['sound_features'].
    """
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    if not scopes:
        return flatbuffer, []
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    pattern = _scope_pattern(scopes)
    changed = []
    for graph in model.subgraphs:
        for op in graph.operators:
            outputs = [graph.tensors[i].name.decode() for i in op.outputs]
            if not any(pattern.search(name) for name in outputs):
                continue
            weights = [
                graph.tensors[i]
                for i in op.inputs
                if i >= 0 and graph.tensors[i].type == schema.TensorType.INT8
            ]
            for tensor in weights:
                _dequantize(model.buffers[tensor.buffer], tensor, schema)
            if weights:
                changed.append(outputs[0])
    if not changed:
        return flatbuffer, []
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), changed


def _dequantize(buffer, tensor, schema) -> None:
    """In place: the tensor's int8 buffer -> float32 values scale * (q - zero_point)."""
    q = np.frombuffer(bytes(bytearray(buffer.data)), np.int8).astype(np.float32)
    q = q.reshape([int(d) for d in tensor.shape])
    params = tensor.quantization
    scale = np.asarray(params.scale, np.float32)
    zero = np.asarray(params.zeroPoint, np.float32)
    shape = [1] * q.ndim
    if scale.size > 1:  # per channel, along quantizedDimension
        shape[params.quantizedDimension] = -1
    values = (q - zero.reshape(shape)) * scale.reshape(shape)
    buffer.data = np.frombuffer(values.astype("<f4").tobytes(), np.uint8)
    tensor.type = schema.TensorType.FLOAT32
    tensor.quantization = None
