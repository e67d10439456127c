"""Convert nsfwjs's bundled MobileNetV2 (npm ``nsfwjs`` 4.4.0, MIT) to ONNX with numpy and ``onnx.helper``.

No TensorFlow and no node: the npm tarball is read as a tar file. Its ``model.min.js`` is a browserify module
whose export is the tfjs layers-model JSON written as a JavaScript object literal, and each
``group1-shardNofM.min.js`` exports one base64 string of weight bytes. Every weight is uint8 affine-quantised
(``value = q * scale + min``); the ONNX keeps the uint8 bytes and dequantises them in the graph (Cast, Mul, Add,
constant-folded by onnxruntime when the session loads), so the file is about the size of the npm weights.

The graph takes NHWC float32 pixels in 0..1 already resized to 224x224, as nsfwjs's ``infer`` feeds its model,
and returns the softmax over [Drawing, Hentai, Neutral, Porn, Sexy]. Inside it is NCHW: Keras kernels
[kh, kw, in, out] become [out, in, kh, kw], depthwise kernels use group = channels, ``same`` padding becomes
SAME_UPPER (TensorFlow puts the odd pixel at the end), ReLU(6) becomes Clip, Dense becomes Gemm and Dropout
disappears.

    npm pack nsfwjs@4.4.0
    python scripts/convert_nsfwjs.py nsfwjs-4.4.0.tgz vodguard/moderation/detectors/nsfwjs_mobilenet_v2.onnx

The output is byte-for-byte reproducible from the same tarball (no timestamps in the graph).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TARBALL_SHA256 = "585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382"  # nsfwjs-4.4.0.tgz
MODEL_DIR = "package/dist/models/mobilenet_v2"
OPSET = 13
IR_VERSION = 8  # onnxruntime 1.31 reads newer too; 8 keeps the file loadable by older runtimes

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<bool>![01])
      | (?P<name>[A-Za-z_$][\w$]*)
      | (?P<punct>[{}\[\],:])
    )""",
    re.VERBOSE,
)


def js_literal(text: str) -> Any:
    """The value of a minified JavaScript object literal (bare keys, ``.5``, ``!0``/``!1``) as Python data."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"unexpected JavaScript at offset {pos}: {text[pos : pos + 40]!r}")
        pos = match.end()
        kind = match.lastgroup
        token = match.group(kind or "punct")
        if kind == "number":
            out.append(json.dumps(float(token)) if "." in token or "e" in token.lower() else token)
        elif kind == "bool":
            out.append("true" if token == "!0" else "false")
        elif kind == "name":
            keyword = {"null": "null", "true": "true", "false": "false"}.get(token)
            out.append(keyword if keyword is not None else json.dumps(token))
        else:
            out.append(token)
    return json.loads("".join(out))


def _exported(source: str) -> str:
    """The source text of the value the browserify module assigns to ``exports`` (an object or a string)."""
    # the UMD wrapper itself says module.exports=e(); the payload is the one assignment not followed by "e()"
    for match in re.finditer(r"exports=", source):
        rest = source[match.end() :]
        if rest.startswith(("{", '"')):
            start = match.end()
            break
    else:
        raise ValueError("no exported object or string in the module")
    opener = source[start]
    if opener == '"':
        return source[start + 1 : source.index('"', start + 1)]
    depth, i, in_string = 0, start, False
    while i < len(source):
        char = source[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return source[start : i + 1]
        i += 1
    raise ValueError("unbalanced braces in the module")


def read_tarball(path: Path) -> tuple[dict[str, Any], bytes]:
    """The model JSON and the concatenated weight bytes of the MobileNetV2 model in an nsfwjs npm tarball."""
    with tarfile.open(path, "r:gz") as tar:

        def member(name: str) -> str:
            handle = tar.extractfile(f"{MODEL_DIR}/{name}")
            if handle is None:
                raise ValueError(f"{MODEL_DIR}/{name} is not a file in {path}")
            return handle.read().decode("utf-8")

        model = js_literal(_exported(member("model.min.js")))
        data = b"".join(
            base64.b64decode(_exported(member(f"{shard}.min.js")))
            for group in model["weightsManifest"]
            for shard in group["paths"]
        )
    return model, data


def dequantise_spec(model: dict[str, Any], data: bytes) -> dict[str, tuple[np.ndarray, float, float]]:
    """name -> (uint8 array in Keras layout, scale, min) for every weight in the manifest."""
    out: dict[str, tuple[np.ndarray, float, float]] = {}
    offset = 0
    for group in model["weightsManifest"]:
        for spec in group["weights"]:
            quant = spec.get("quantization")
            if quant is None or quant["dtype"] != "uint8":
                raise ValueError(
                    f"weight {spec['name']} is not uint8-quantised; this converter reads only those"
                )
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            raw = np.frombuffer(data, np.uint8, count, offset).reshape(spec["shape"])
            offset += count
            out[spec["name"]] = (raw, float(quant["scale"]), float(quant["min"]))
    if offset != len(data):
        raise ValueError(f"the manifest covers {offset} bytes of {len(data)}")
    return out


class _Graph:
    """Nodes and initialisers of the ONNX graph being built, with unique names."""

    def __init__(self, weights: dict[str, tuple[np.ndarray, float, float]]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def weight(self, key: str, transpose: tuple[int, ...] | None = None) -> str:
        """A float weight from the uint8 bytes, dequantised in the graph as tfjs does on load."""
        raw, scale, low = self.weights[key]
        if transpose is not None:
            raw = raw.transpose(transpose)
        base = key.replace("/", "_")
        q = self.const(f"{base}_q", np.ascontiguousarray(raw))
        s = self.const(f"{base}_scale", np.array(scale, np.float32))
        m = self.const(f"{base}_min", np.array(low, np.float32))
        cast = self.node("Cast", [q], f"{base}_f", to=TensorProto.FLOAT)
        return self.node("Add", [self.node("Mul", [cast, s], f"{base}_scaled"), m], key)

    def has(self, key: str) -> bool:
        return key in self.weights


def _conv_pads(config: dict[str, Any]) -> dict[str, Any]:
    if config["padding"] == "same":
        return {"auto_pad": "SAME_UPPER"}
    if config["padding"] == "valid":
        return {"pads": [0, 0, 0, 0]}
    raise ValueError(f"padding {config['padding']!r}")


def _activation(graph: _Graph, name: str, activation: str, source: str) -> str:
    if activation == "linear":
        return source
    if activation == "relu":
        return graph.node("Relu", [source], f"{name}_relu")
    if activation == "softmax":
        return graph.node("Softmax", [source], f"{name}_softmax", axis=1)
    raise ValueError(f"activation {activation!r} in layer {name}")


def _layer(graph: _Graph, cls: str, name: str, config: dict[str, Any], inputs: list[str]) -> str:
    """The ONNX for one Keras layer; returns the name of its output (NCHW for feature maps)."""
    x = inputs[0]
    if cls == "ZeroPadding2D":
        (top, bottom), (left, right) = config["padding"]
        pads = graph.const(f"{name}_pads", np.array([0, 0, top, left, 0, 0, bottom, right], np.int64))
        return graph.node("Pad", [x, pads], name)
    if cls in ("Conv2D", "DepthwiseConv2D"):
        depthwise = cls == "DepthwiseConv2D"
        key = f"{name}/depthwise_kernel" if depthwise else f"{name}/kernel"
        raw = graph.weights[key][0]
        kernel = graph.weight(key, (2, 3, 0, 1) if depthwise else (3, 2, 0, 1))
        args = [x, kernel] + ([graph.weight(f"{name}/bias")] if config["use_bias"] else [])
        attrs: dict[str, Any] = {
            "kernel_shape": list(config["kernel_size"]),
            "strides": list(config["strides"]),
            "dilations": list(config["dilation_rate"]),
            **_conv_pads(config),
        }
        if depthwise:
            if config.get("depth_multiplier", 1) != 1:
                raise ValueError(f"depth_multiplier in layer {name}")
            attrs["group"] = int(raw.shape[2])
        out = graph.node("Conv", args, f"{name}_conv", **attrs)
        return graph.node("Identity", [_activation(graph, name, config["activation"], out)], name)
    if cls == "BatchNormalization":
        channels = graph.weights[f"{name}/moving_mean"][0].shape[0]
        gamma = (
            graph.weight(f"{name}/gamma")
            if config["scale"]
            else graph.const(f"{name}_gamma", np.ones(channels, np.float32))
        )
        beta = (
            graph.weight(f"{name}/beta")
            if config["center"]
            else graph.const(f"{name}_beta", np.zeros(channels, np.float32))
        )
        mean, var = graph.weight(f"{name}/moving_mean"), graph.weight(f"{name}/moving_variance")
        return graph.node("BatchNormalization", [x, gamma, beta, mean, var], name, epsilon=config["epsilon"])
    if cls == "ReLU":
        if config.get("negative_slope", 0) or config.get("threshold", 0):
            raise ValueError(f"leaky or thresholded ReLU in layer {name}")
        if config.get("max_value") is None:
            return graph.node("Relu", [x], name)
        low = graph.const(f"{name}_lo", np.array(0.0, np.float32))
        high = graph.const(f"{name}_hi", np.array(float(config["max_value"]), np.float32))
        return graph.node("Clip", [x, low, high], name)
    if cls == "Activation":
        return graph.node("Identity", [_activation(graph, name, config["activation"], x)], name)
    if cls == "Add":
        out = x
        for i, other in enumerate(inputs[1:]):
            out = graph.node("Add", [out, other], name if i == len(inputs) - 2 else f"{name}_{i}")
        return out
    if cls in ("AveragePooling2D", "MaxPooling2D"):
        op = "AveragePool" if cls == "AveragePooling2D" else "MaxPool"
        attrs = {"kernel_shape": list(config["pool_size"]), "strides": list(config["strides"])}
        attrs.update(_conv_pads(config))
        if op == "AveragePool":
            attrs["count_include_pad"] = 0  # TensorFlow averages over the real pixels only
        return graph.node(op, [x], name, **attrs)
    if cls == "Flatten":
        nhwc = graph.node("Transpose", [x], f"{name}_nhwc", perm=[0, 2, 3, 1])  # Keras flattens channels last
        return graph.node("Flatten", [nhwc], name, axis=1)
    if cls == "Dense":
        out = graph.node(
            "Gemm", [x, graph.weight(f"{name}/kernel"), graph.weight(f"{name}/bias")], f"{name}_mm"
        )
        return graph.node("Identity", [_activation(graph, name, config["activation"], out)], name)
    if cls == "Dropout":
        return graph.node("Identity", [x], name)
    raise ValueError(f"layer class {cls} ({name}) is not supported by this converter")


def build(model: dict[str, Any], data: bytes) -> onnx.ModelProto:
    """The ONNX model of a tfjs layers model (its JSON and weight bytes)."""
    config = model["modelTopology"]["model_config"]["config"]
    graph = _Graph(dequantise_spec(model, data))
    outputs: dict[str, str] = {}
    input_name = config["input_layers"][0][0]
    size = None
    for layer in config["layers"]:
        cls, name, layer_config = layer["class_name"], layer["name"], layer["config"]
        if cls == "InputLayer":
            size = layer_config["batch_input_shape"][1:]
            outputs[name] = graph.node("Transpose", ["input"], "input_nchw", perm=[0, 3, 1, 2])
            continue
        inbound = [outputs[source[0]] for source in layer["inbound_nodes"][0]]
        outputs[name] = _layer(graph, cls, name, layer_config, inbound)
    if size is None or input_name not in outputs:
        raise ValueError("the model has no input layer")
    last = outputs[config["output_layers"][0][0]]
    graph.nodes.append(helper.make_node("Identity", [last], ["probabilities"], name="probabilities"))
    onnx_graph = helper.make_graph(
        graph.nodes,
        "nsfwjs_mobilenet_v2",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *size])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 5])],
        graph.inits,
    )
    out = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="vodguard scripts/convert_nsfwjs.py",
        doc_string="nsfwjs 4.4.0 MobileNetV2 (MIT, Infinite Red); classes Drawing, Hentai, Neutral, Porn, Sexy",
    )
    out.ir_version = IR_VERSION
    onnx.checker.check_model(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tarball", type=Path, help="nsfwjs-4.4.0.tgz from `npm pack nsfwjs@4.4.0`")
    parser.add_argument("output", type=Path, help="where to write the .onnx file")
    parser.add_argument("--any-tarball", action="store_true", help="do not insist on the 4.4.0 checksum")
    args = parser.parse_args()
    digest = hashlib.sha256(args.tarball.read_bytes()).hexdigest()
    if digest != TARBALL_SHA256 and not args.any_tarball:
        raise SystemExit(f"{args.tarball} has sha256 {digest}, not nsfwjs-4.4.0.tgz's {TARBALL_SHA256}")
    model, data = read_tarball(args.tarball)
    onnx_model = build(model, data)
    args.output.write_bytes(onnx_model.SerializeToString())
    print(
        f"{args.output}: {args.output.stat().st_size} bytes, sha256 {hashlib.sha256(args.output.read_bytes()).hexdigest()}"
    )


if __name__ == "__main__":
    main()
