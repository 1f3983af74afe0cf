#!/usr/bin/env python3
"""One bf16 step against the f32 step of the same checkpoint (issue 11's acceptance test).

The tiny GPT (examples/tiny-gpt.yaml: 4 layers, hidden 128, seq 128, GPT-2's vocabulary) is trained
briefly in f32 on Moby-Dick (60 steps, so that the gradients are those of a model that has learned
something rather than of the initialization). From that checkpoint, `strata-run grad` computes the
loss and every parameter's gradient of one global batch twice: with the f32 artifact, and with the
bf16 mixed-precision O2 artifact (bf16 parameters and activations, f32 gradient slots; the
checkpoint's parameters rounded to bf16). The bf16 step must agree with the f32 one:

  * the loss within 1e-2 relative,
  * every gradient's cosine similarity to the f32 gradient at least 0.999.

The worst cosine and the loss difference are printed (measured: loss 5e-7 relative, worst cosine
0.99999, the position embedding's). f16 is not compared here: `grad` runs without a loss scale,
and unscaled f16 activation gradients flush to zero below 6e-8, which is what the loss scaler
(tests/lit/tools/strata_run_mixed_precision.test) is for.

    mixed_precision_step.py --strata-compile BIN --strata-run BIN
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_common as e2e  # noqa: E402
import numpy as np  # noqa: E402

MODEL = e2e.REPO / "examples" / "tiny-gpt.yaml"
CORPUS = e2e.REPO / "data" / "corpora" / "moby-dick.txt"
NO_DROPOUT = ["model.hidden_dropout=0", "model.attention_dropout=0", "model.ffn_dropout=0"]
PRECISIONS = {
    "bf16": ["trainer.precision=bf16-mixed", "model.precision=bf16-mixed",
             "model.megatron_amp_O2=true"],
}
LOSS_TOLERANCE = 1e-2
MIN_COSINE = 0.999


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--keep", action="store_true", help="Keep the work directory")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="strata-mp-step-"))
    env = e2e.strata_env()
    try:
        f32 = work / "f32.strata"
        e2e.compile_artifact(args.strata_compile, MODEL, f32, NO_DROPOUT)
        e2e.run([args.strata_run, "train", f32, "--data", CORPUS, "--steps", "60", "--lr", "5e-3",
                 "--warmup-steps", "10", "--checkpoint-dir", work / "ck", "--cache-dir",
                 work / "cache"], env=env)
        checkpoint = work / "ck" / "step-00000060" / "model.safetensors"
        config = e2e.compile_config(args.strata_compile, MODEL, NO_DROPOUT)
        seq = int(config["seq_length"])
        rows = int(config["global_batch_size"])
        tokens = work / "tokens.npy"
        np.save(tokens, e2e.make_tokens(50257, rows, seq, seed=11))

        def grad(artifact, out):
            e2e.run([args.strata_run, "grad", artifact, "--checkpoint", checkpoint, "--tokens",
                     tokens, "--out", out], env=env)
            return e2e.load(out)

        reference = grad(f32, work / "f32.safetensors")
        failures = []
        for name, overrides in PRECISIONS.items():
            artifact = work / f"{name}.strata"
            e2e.compile_artifact(args.strata_compile, MODEL, artifact, NO_DROPOUT + overrides)
            got = grad(artifact, work / f"{name}.safetensors")
            loss, expected_loss = float(got["loss"]), float(reference["loss"])
            loss_error = abs(loss - expected_loss) / abs(expected_loss)
            cosines = {}
            for key, want in reference.items():
                if not key.startswith("grad."):
                    continue
                a = got[key].astype(np.float64).ravel()
                b = want.astype(np.float64).ravel()
                denominator = np.linalg.norm(a) * np.linalg.norm(b)
                cosines[key] = float(a @ b / denominator) if denominator > 0 else 1.0
            worst = min(cosines, key=cosines.get)
            print(f"{name}: loss {loss:.6f} vs f32 {expected_loss:.6f} (relative "
                  f"{loss_error:.2e}); {len(cosines)} gradients, worst cosine "
                  f"{cosines[worst]:.6f} ({worst})", flush=True)
            if loss_error > LOSS_TOLERANCE:
                failures.append(f"{name}: loss differs by {loss_error:.2e} relative "
                                f"(bound {LOSS_TOLERANCE})")
            failures += [f"{name}: {key} has cosine {c:.6f} < {MIN_COSINE}"
                         for key, c in sorted(cosines.items()) if c < MIN_COSINE]
        if failures:
            raise e2e.E2EError("\n".join(failures))
        print("OK")
    except e2e.E2EError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
