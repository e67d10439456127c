"""Write ``tests/fixtures/nsfwjs_reference.json``: nsfwjs's own MobileNetV2 probabilities on a few pictures.

The converted ONNX (``scripts/convert_nsfwjs.py``) is tested against these numbers. They come from the real
nsfwjs 4.4.0 in node on tfjs 4.22.0's pure-JS CPU backend, fed the RGB pixels Pillow decodes from each file, so
nsfwjs's own preprocessing (divide by 255, bilinear resize with aligned corners to 224) is part of what is
checked. Needs node and, once, network access to npm:

    mkdir /tmp/nsfwjs-ref && cd /tmp/nsfwjs-ref && npm pack nsfwjs@4.4.0 \\
        && npm install @tensorflow/tfjs@4.22.0 buffer@6 ./nsfwjs-4.4.0.tgz
    python scripts/nsfwjs_reference.py /tmp/nsfwjs-ref/node_modules
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "tests" / "fixtures" / "clean_pictures"
# a photo at two sizes (one under 224 px, so nsfwjs upsamples), a portrait, greys, a skin-tone flat, a
# gradient, noise, a chart and a video frame: a spread of inputs, not a test of what the model finds
CHOSEN = (
    "photo_skimage_astronaut_full.jpg",
    "photo_skimage_astronaut_small.jpg",
    "photo_matplotlib_grace_hopper_full.jpg",
    "photo_skimage_camera_half.jpg",
    "skin_3_soft_blob.jpg",
    "gradient_00.jpg",
    "noise_00.jpg",
    "chart_00.jpg",
    "bench_frame_t02.5.jpg",
)
OUTPUT = ROOT / "tests" / "fixtures" / "nsfwjs_reference.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("node_modules", type=Path)
    args = parser.parse_args()
    items = []
    for name in CHOSEN:
        rgb = np.asarray(Image.open(PICTURES / name).convert("RGB"))
        items.append(
            {
                "name": name,
                "width": rgb.shape[1],
                "height": rgb.shape[0],
                "rgb": base64.b64encode(rgb.tobytes()).decode(),
            }
        )
    with tempfile.NamedTemporaryFile("w", suffix=".json") as pixels:
        json.dump(items, pixels)
        pixels.flush()
        answer = subprocess.run(
            [
                "node",
                str(ROOT / "scripts" / "nsfwjs_reference.cjs"),
                str(args.node_modules.resolve()),
                pixels.name,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    probabilities = json.loads(answer)
    fixture = {
        "source": "nsfwjs 4.4.0 MobileNetV2 in node, @tensorflow/tfjs 4.22.0 cpu backend (scripts/nsfwjs_reference.py)",
        "classes": ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"],
        "pictures": "tests/fixtures/clean_pictures",
        "probabilities": {name: probabilities[name] for name in CHOSEN},
    }
    OUTPUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
