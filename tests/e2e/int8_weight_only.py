"""Int8 weight-only quantization (serving issue, item 5): the tiny GPT the README trains, briefly
trained, then compiled for inference in f32 and with --quantize int8-weight-only. Both artifacts
load the same f32 checkpoint (the int8 one quantizes it at load) and score the same held-out text
of moby-dick.txt through decode (`strata-run eval` on an inference artifact); the int8 validation
perplexity must be within 1% of the f32 one, and above it by less than the quantization could
not explain (a perplexity below f32's by more than 1% would mean a bug too). The f32 score through
decode must equal the training artifact's `eval` (forward) on the same rows.

Then tensor parallelism: the int8 artifact at tp 2 (column-parallel scales split with their
weights, row-parallel ones replicated, the vocabulary split) scores the same loss as at tp 1,
when mpirun is available.

    int8_weight_only.py --strata-compile BIN --strata-run BIN
"""

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "tokenizer"))
import numpy as np  # noqa: E402
import reference_encoder  # noqa: E402

MODEL = REPO / "examples/tiny-gpt.yaml"
CORPUS = REPO / "data/corpora/moby-dick.txt"
SEQ = 128          # tiny-gpt's encoder_seq_length
ROWS = 8           # held-out rows of SEQ + 1 tokens (one micro-batch of the training artifact)
STEPS = 60


def run(*command, **kwargs):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def loss_of(output):
    m = re.search(r"loss ([0-9.]+) over (\d+) tokens", output)
    if not m:
        sys.exit(f"no loss in:\n{output}")
    return float(m.group(1))


def held_out_tokens(path):
    """ROWS rows from the end of the corpus (inside the trainer's 5% validation split)."""
    text = CORPUS.read_text(encoding="utf-8")
    tail = text[-len(text) // 40:]
    ids = reference_encoder.load_encoder(str(REPO / "data/gpt2-tokenizer")).encode(tail)
    need = ROWS * (SEQ + 1)
    if len(ids) < need:
        sys.exit(f"only {len(ids)} held-out tokens, need {need}")
    np.save(path, np.array(ids[-need:], np.int32).reshape(ROWS, SEQ + 1))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--mpirun", default=shutil.which("mpirun"))
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="strata-int8-"))
    try:
        train = work / "train.strata"
        run(args.strata_compile, MODEL, "--compile-to=training", "-o", train)
        run(args.strata_run, "train", train, "--data", CORPUS, "--steps", STEPS, "--lr", "3e-3",
            "--warmup-steps", "10", "--checkpoint-dir", work / "ck", "--threads", "2",
            "--cache-dir", work / "cache")
        checkpoint = next((work / "ck").glob("step-*")) / "model.safetensors"
        held_out_tokens(work / "val.npy")

        losses = {}
        for name, extra in (("f32", []), ("int8", ["--quantize", "int8-weight-only"])):
            artifact = work / f"{name}.strata"
            run(args.strata_compile, MODEL, "--mode", "infer", "model.micro_batch_size=1",
                *extra, "-o", artifact)
            losses[name] = loss_of(run(args.strata_run, "eval", artifact, "--checkpoint",
                                       checkpoint, "--tokens", work / "val.npy", "--out",
                                       work / f"{name}.safetensors", "--threads", "2"))
        # The scoring path itself: decode over the KV cache computes what the training
        # artifact's forward computes on the same rows.
        forward = loss_of(run(args.strata_run, "eval", train, "--checkpoint", checkpoint,
                              "--tokens", work / "val.npy", "--out", work / "forward.safetensors",
                              "--threads", "2"))
        if abs(forward - losses["f32"]) > 1e-4 * abs(forward):
            sys.exit(f"eval through decode gives {losses['f32']:.6f}, forward {forward:.6f}")
        ratio = math.exp(losses["int8"] - losses["f32"])
        print(f"validation perplexity f32 {math.exp(losses['f32']):.3f}, int8 "
              f"{math.exp(losses['int8']):.3f}: ratio {ratio:.5f} over {ROWS * SEQ} tokens "
              f"after {STEPS} training steps")
        if losses["f32"] > math.log(50257) - 1.0:
            sys.exit(f"the model did not train (loss {losses['f32']:.3f}): the comparison "
                     "would not test anything")
        if not 0.99 <= ratio <= 1.01:
            sys.exit(f"int8 perplexity is {ratio:.5f}x the f32 one, outside [0.99, 1.01]")
        check_tensor_parallel(args, work, checkpoint, losses["int8"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_tensor_parallel(args, work, checkpoint, single):
    if not args.mpirun:
        print("tensor parallelism: skipped (no mpirun)")
        return
    artifact = work / "int8-tp2.strata"
    # The vocabulary padded as at tp 1 (50304 rows; tp 2 would pad to a multiple of 256).
    run(args.strata_compile, MODEL, "--mode", "infer", "model.micro_batch_size=1", "--tp", "2",
        "trainer.devices=2", "model.make_vocab_size_divisible_by=64", "--quantize",
        "int8-weight-only", "-o", artifact)
    loss = loss_of(run(args.mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2",
                       "--mca", "pml", "ob1", "--mca", "btl", "self,vader",
                       args.strata_run, "eval", artifact, "--checkpoint", checkpoint,
                       "--tokens", work / "val.npy", "--out", work / "tp2.safetensors",
                       "--threads", "1"))
    # The same int8 values and scales (quantized before the split); only the f32 sums of the
    # row-parallel partial products are added in another order.
    if abs(loss - single) > 1e-4 * max(1.0, abs(single)):
        sys.exit(f"int8 at tp 2 scores {loss:.6f}, at tp 1 {single:.6f}")
    print(f"int8 at tp 2 scores {loss:.6f} (tp 1: {single:.6f})")


if __name__ == "__main__":
    main()
