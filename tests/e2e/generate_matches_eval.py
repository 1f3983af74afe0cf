"""Greedy generation with the KV cache equals the argmax of full-context `eval` logits at every
position (issue 4's acceptance test), for prompts of different lengths batched together, with a
prefill shorter than the prompts (chunked prefill), and each row equals its prompt generated alone.

    generate_matches_eval.py --strata-compile BIN --strata-run BIN
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "reference"))
import numpy as np  # noqa: E402
import safetensors_io  # noqa: E402

MODEL = REPO / "tests/e2e/models/tiny-train.yaml"
SEQ = 24           # the model's encoder_seq_length
VOCAB = 50257      # GPT-2's; the model pads to 50304
PROMPTS = ["Call me Ishmael. Some years ago", "The whale"]


def run(*command, **kwargs):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def generated_ids(output):
    rows = []
    for line in output.splitlines():
        m = re.match(r"ids:([\d ]*)\|([\d ]*)$", line)
        if m:
            rows.append(([int(t) for t in m.group(1).split()], [int(t) for t in m.group(2).split()]))
    return rows


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
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
