"""Greedy generation with the KV cache equals the argmax of full-context `eval` logits at every
position (issue 4's acceptance test), for prompts of different lengths batched together, with a
prefill shorter than the prompts (chunked prefill), and each row equals its prompt generated alone.

Then the same in bf16 (parameters and activations: megatron_amp_O2), whose artifacts return bf16
logits: each generated token's eval logit is the row's maximum up to bf16 rounding (cached and
full-context attention round differently, and bf16 logits tie often, so exact argmax equality
would be a coin toss where two logits are within an ulp).

    generate_matches_eval.py --strata-compile BIN --strata-run BIN
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "reference"))
import numpy as np  # noqa: E402
import safetensors_io  # noqa: E402
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from e2e_common import generated_ids  # noqa: E402

MODEL = REPO / "tests/e2e/models/tiny-train.yaml"
BF16_O2 = ["trainer.precision=bf16-mixed", "model.precision=bf16-mixed",
           "model.megatron_amp_O2=true"]
SEQ = 24           # the model's encoder_seq_length
VOCAB = 50257      # GPT-2's; the model pads to 50304
PROMPTS = ["Call me Ishmael. Some years ago", "The whale"]


def run(*command, **kwargs):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--python", default=sys.executable)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="strata-generate-"))
    try:
        train, infer = work / "train.strata", work / "infer.strata"
        run(args.strata_compile, MODEL, "--compile-to=training", "-o", train)
        run(args.strata_compile, MODEL, "--mode", "infer", "--prefill-length", "4", "-o", infer)
        # A briefly trained model: less uniform logits than at initialization.
        run(args.strata_run, "train", train, "--data", REPO / "data/corpora/moby-dick.txt",
            "--steps", "40", "--lr", "3e-3", "--checkpoint-dir", work / "ck", "--threads", "2",
            "--cache-dir", work / "cache")
        checkpoint = next((work / "ck").glob("step-*")) / "model.safetensors"

        longest = max(len(ids) for ids, _ in generated_ids(run(
            args.strata_run, "generate", infer, "--checkpoint", checkpoint, "--prompt", PROMPTS[0],
            "--prompt", PROMPTS[1], "--max-new-tokens", "1", "--temperature", "0", "--print-ids")))
        new_tokens = SEQ + 1 - longest
        common = ["--checkpoint", checkpoint, "--max-new-tokens", str(new_tokens),
                  "--temperature", "0", "--print-ids", "--threads", "2"]
        batched = generated_ids(run(args.strata_run, "generate", infer, "--prompt", PROMPTS[0],
                                    "--prompt", PROMPTS[1], *common))
        alone = [generated_ids(run(args.strata_run, "generate", infer, "--prompt", text, *common))[0]
                 for text in PROMPTS]
        if batched != alone:
            sys.exit(f"batched rows differ from prompts generated alone:\n{batched}\n{alone}")

        # The full sequences, padded to SEQ + 1, evaluated in one call.
        tokens = np.zeros((2, SEQ + 1), np.int32)
        for row, (prompt, new) in enumerate(batched):
            sequence = prompt + new
            tokens[row, :len(sequence)] = sequence
        np.save(work / "t.npy", tokens)
        run(args.strata_run, "eval", train, "--checkpoint", checkpoint, "--tokens", work / "t.npy",
            "--out", work / "eval.safetensors")
        logits = safetensors_io.load_file(str(work / "eval.safetensors"))["logits"]
        checked = 0
        for row, (prompt, new) in enumerate(batched):
            for i, token in enumerate(new):
                position = len(prompt) - 1 + i
                predicted = int(np.argmax(logits[row, position, :VOCAB]))
                if predicted != token:
                    sys.exit(f"row {row} position {position}: generated {token}, eval's argmax "
                             f"is {predicted}")
                checked += 1
        if checked == 0:
            sys.exit("nothing was generated")
        print(f"{checked} greedy tokens over 2 batched prompts equal eval's argmax; "
              f"batched rows equal the prompts generated alone")
        check_bf16(args, work, checkpoint, new_tokens)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bf16_ulp(x):
    """The spacing of bf16 numbers (8 significant bits) at |x|."""
    return 2.0 ** (np.floor(np.log2(max(abs(x), 2.0 ** -126))) - 7)


def check_bf16(args, work, checkpoint, new_tokens):
    train, infer = work / "train-bf16.strata", work / "infer-bf16.strata"
    run(args.strata_compile, MODEL, "--compile-to=training", "-o", train, *BF16_O2)
    run(args.strata_compile, MODEL, "--mode", "infer", "--prefill-length", "4", "-o", infer,
        *BF16_O2)
    generated = generated_ids(run(
        args.strata_run, "generate", infer, "--prompt", PROMPTS[0], "--prompt", PROMPTS[1],
        "--checkpoint", checkpoint, "--max-new-tokens", str(new_tokens), "--temperature", "0",
        "--print-ids", "--threads", "2"))
    tokens = np.zeros((2, SEQ + 1), np.int32)
    for row, (prompt, new) in enumerate(generated):
        tokens[row, :len(prompt) + len(new)] = prompt + new
    np.save(work / "t-bf16.npy", tokens)
    run(args.strata_run, "eval", train, "--checkpoint", checkpoint, "--tokens",
        work / "t-bf16.npy", "--out", work / "eval-bf16.safetensors")
    logits = safetensors_io.load_file(str(work / "eval-bf16.safetensors"))["logits"]
    checked = 0
    for row, (prompt, new) in enumerate(generated):
        for i, token in enumerate(new):
            position = len(prompt) - 1 + i
            row_logits = logits[row, position, :VOCAB].astype(np.float64)
            best = row_logits.max()
            if best - row_logits[token] > 2 * bf16_ulp(best):
                sys.exit(f"bf16 row {row} position {position}: generated {token} (eval logit "
                         f"{row_logits[token]}), eval's maximum is {best} at "
                         f"{int(row_logits.argmax())}: more than 2 bf16 ulps apart")
            checked += 1
    if checked == 0:
        sys.exit("bf16: nothing was generated")
    print(f"bf16: {checked} greedy tokens are eval's maximum logits up to bf16 rounding")


if __name__ == "__main__":
    main()
