#!/usr/bin/python3
"""Checkpoints across vocabulary padding, and its masked softmax (docs/model-description.md).

tests/e2e/models/vocab-padded-gpt.yaml has GPT-2's 50257 tokens padded to 50304 rows at tp 1 and
50432 at tp 2 (make_vocab_size_divisible_by 128 x tp).

  1. The PyTorch reference (tests/reference, vocab 50257: no padding at all) writes a Hugging
     Face GPT-2 checkpoint with 50257 rows (norms and biases randomized). `strata-run eval` and
     `grad` load it into the 50304-row model. Checked against the reference on the same tokens:
       logits on the 50257 real columns   max|a - b| / max|b|                  <= 1e-4
       loss                               |a - b| (the padding takes no mass)  <= 1e-5
       wte gradient, real rows            ||a - b|| / ||b||                    <= 1e-4
       wte gradient, padding rows         max|a|                               == 0
     An unmasked softmax over the padding's 47 zero logits would move the loss by about
     47 / 50257 ~ 1e-3.
  2. `strata-run train --tokens` (3 AdamW steps, weight decay) at tp 1 saves a checkpoint of
     50304 rows; `mpirun -np 2 strata-run eval` of the tp 2 artifact (50432 rows) loads it, and
     its loss and real logits equal the tp 1 eval of the same checkpoint (1e-5 relative).

Exits 1 on failure, 77 (skip) without PyTorch or mpirun.

    /usr/bin/python3 tests/e2e/vocab_padding.py --strata-compile build/bin/strata-compile \\
        --strata-run build/bin/strata-run
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common as e2e  # noqa: E402
from e2e_common import E2EError  # noqa: E402

MODEL = e2e.E2E / "models" / "vocab-padded-gpt.yaml"
VOCAB = 50257
PADDED = {1: 50304, 2: 50432}
LOGITS_TOL, LOSS_TOL, GRAD_TOL, TP_TOL = 1e-4, 1e-5, 1e-4, 1e-5

# The reference's description of the same model, without padding.
REFERENCE_CONFIG = {"family": "gpt2", "num_layers": 2, "hidden": 64, "heads": 4,
                    "vocab": VOCAB, "ffn": 256, "max_positions": 16, "activation": "gelu",
                    "tie_embeddings": True}


def rel_max(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def rel_norm(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    p.add_argument("--keep", help="keep the work files in this directory")
    args = p.parse_args(argv)
    e2e.check_torch(args.python)
    work = Path(args.keep or tempfile.mkdtemp(prefix="strata-vocab-"))
    work.mkdir(parents=True, exist_ok=True)
    env = e2e.strata_env()
    table = e2e.Table(where_header="what")
    try:
        config = e2e.compile_config(args.strata_compile, str(MODEL))
        if (config["vocab_size"], config["padded_vocab_size"]) != (VOCAB, PADDED[1]):
            raise E2EError(f"{MODEL}: vocabulary {config['vocab_size']} padded to "
                           f"{config['padded_vocab_size']}, expected {VOCAB} -> {PADDED[1]}")
        tp1 = e2e.compile_artifact(args.strata_compile, str(MODEL), work / "tp1.strata")
        tp2 = e2e.compile_artifact(args.strata_compile, str(MODEL), work / "tp2.strata",
                                   ["model.tensor_model_parallel_size=2"])

        # 1. A Hugging Face checkpoint of the real vocabulary into the padded model.
        ref_config = work / "reference.json"
        ref_config.write_text(json.dumps(REFERENCE_CONFIG))
        family = e2e.Family("gpt2", str(MODEL), str(ref_config))
        init = work / "init.safetensors"
        e2e.reference(args.python, "init", family, "--seed", "5", "--out", str(init))
        hf = e2e.randomize_norms_and_biases(e2e.load(init), seed=6)
        if hf["wte.weight"].shape[0] != VOCAB:
            raise E2EError(f"the reference wrote {hf['wte.weight'].shape[0]} rows, not {VOCAB}")
        checkpoint = work / "hf.safetensors"
        e2e.save(hf, checkpoint)
        tokens = work / "tokens.npy"
        np.save(tokens, e2e.make_tokens(VOCAB, rows=4, seq=16, seed=7))
        common = ["--checkpoint", str(checkpoint), "--tokens", str(tokens)]
        e2e.reference(args.python, "eval", family, *common, "--out", str(work / "ref-eval.st"))
        e2e.reference(args.python, "grad", family, *common, "--out", str(work / "ref-grad.st"))
        sr = [args.strata_run]
        e2e.run(sr + ["eval", str(tp1), *common, "--out", str(work / "eval.st")], env=env)
        e2e.run(sr + ["grad", str(tp1), *common, "--out", str(work / "grad.st")], env=env)
        ref, got = e2e.load(work / "ref-eval.st"), e2e.load(work / "eval.st")
        if got["logits"].shape[-1] != PADDED[1]:
            raise E2EError(f"strata-run eval gave {got['logits'].shape[-1]} logits per "
                           f"position, expected the padded {PADDED[1]}")
        table.add("hf 50257", "logits", "real columns max rel",
                  rel_max(got["logits"][..., :VOCAB], ref["logits"]), LOGITS_TOL)
        table.add("hf 50257", "loss", "|a - b|",
                  abs(float(got["loss"]) - float(ref["loss"])), LOSS_TOL)
        rg, gg = e2e.load(work / "ref-grad.st"), e2e.load(work / "grad.st")
        wte = gg["grad.wte.weight"]
        table.add("hf 50257", "grad wte", "real rows rel norm",
                  rel_norm(wte[:VOCAB], rg["grad.wte.weight"]), GRAD_TOL)
        table.add("hf 50257", "grad wte", "padding rows max|a|",
                  float(np.max(np.abs(wte[VOCAB:]))), 0.0)
        table.add("hf 50257", "grad loss", "|a - b|",
                  abs(float(gg["loss"]) - float(rg["loss"])), LOSS_TOL)

        # 2. Trained and saved at tp 1, evaluated at tp 2 (another padded size).
        if not shutil.which(args.mpirun):
            print(f"skipped the tp 2 half: no {args.mpirun}")
        else:
            trained = work / "trained-tp1.safetensors"
            train_tokens = work / "train-tokens.npy"
            np.save(train_tokens, e2e.make_tokens(VOCAB, rows=12, seq=16, seed=8))
            e2e.run(sr + ["train", str(tp1), "--checkpoint", str(checkpoint), "--tokens",
                          str(train_tokens), "--steps", "3", "--lr", "1e-3",
                          "--weight-decay", "0.1", "--save", str(trained)], env=env)
            if e2e.load(trained)["wte.weight"].shape[0] != PADDED[1]:
                raise E2EError("the tp 1 training checkpoint should keep its padded rows")
            again = ["--checkpoint", str(trained), "--tokens", str(tokens)]
            e2e.run(sr + ["eval", str(tp1), *again, "--out", str(work / "eval-tp1.st")],
                    env=env)
            mpirun = [args.mpirun, "--allow-run-as-root", "--oversubscribe", "--mca", "pml",
                      "ob1", "--mca", "btl", "self,vader", "-np", "2"]
            e2e.run(mpirun + sr + ["eval", str(tp2), *again, "--out",
                                   str(work / "eval-tp2.st")], env=e2e.strata_env(1))
            a, b = e2e.load(work / "eval-tp2.st"), e2e.load(work / "eval-tp1.st")
            if a["logits"].shape[-1] != PADDED[2]:
                raise E2EError(f"the tp 2 model has {a['logits'].shape[-1]} columns, "
                               f"expected {PADDED[2]}")
            table.add("tp1 -> tp2", "loss", "rel", abs(float(a["loss"]) - float(b["loss"])) /
                      abs(float(b["loss"])), TP_TOL)
            table.add("tp1 -> tp2", "logits", "real columns max rel",
                      rel_max(a["logits"][..., :VOCAB], b["logits"][..., :VOCAB]), TP_TOL)
    except E2EError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    table.print()
    if table.failures():
        table.print_failures()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
