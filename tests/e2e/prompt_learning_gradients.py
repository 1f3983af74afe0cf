#!/usr/bin/python3
"""Prompt tuning, p-tuning (MLP and LSTM encoders) and LoRA: Strata's gradients against the
independent PyTorch reference (f32) and against finite differences of its own loss (f64), on
the tiny GPT-2 and Llama of tests/e2e/models (issue 14, docs/prompt-learning.md).

For each family and method:

  1. The family's description (tests/e2e/models/*-small-odd.yaml) with the method's keys added
     (two tasks of 3 and 4 virtual tokens, NeMo's spelling) is compiled; the reference gets
     the same settings in its config.
  2. `cli.py init --randomize-adapters` writes one checkpoint: the base under Hugging Face
     names (norms and biases randomized as in compare_with_reference.py) and the adapters
     under their Strata names, LoRA's linear_out and every adapter bias made non-zero so that
     every gradient is non-trivial.
  3. One batch of 6 rows mixing both tasks (even rows task 0 at positions 0-2, odd rows task 1
     at positions 1-4), a quarter of the labels ignored (-1); LoRA alone has no virtual tokens.
     Strata averages the micro-batches' mean losses, the reference takes the whole batch's
     mean, so the models compile with one micro-batch of the 6 rows.
  4. `strata-run grad` and `cli.py grad` on the same files: the loss within 1e-5 and every
     trained parameter's gradient within ||a - b|| / ||b|| <= 1e-4; the base has no gradient.
  5. In f64 (`model.precision=64`), for 2 elements of every kind of trained parameter (task
     t0's, layer 0's LoRA), the gradient
     equals the fourth-order central difference of `strata-run eval`'s loss within
     |fd - g| / max(|g|, 1e-4) <= 1e-6 (tests/e2e/finite_differences.py explains the stencil;
     h = 1e-4 rather than its 1e-3: a step of 1e-3 moved a ReLU of the MLP encoder across 0).

  6. Three steps of `strata-run train` on the batch move every adapter and leave every base
     parameter bitwise unchanged.
  7. Each row of the mixed-task batch evaluated alone gives the logits it gets in the batch
     (max|a - b| / max|b| <= 1e-5), and the batch's loss is the rows' losses weighted by their
     counted labels.
  8. Tensor parallelism (tests/e2e/models/tp-*.yaml, parameters initialized from the seed):
     prompt tuning and LoRA at tp 2 under mpirun give the single rank's loss and gradients
     within parallel_equivalence.py's 1e-5.

Exits 1 on a failure, 77 without PyTorch.

    /usr/bin/python3 tests/e2e/prompt_learning_gradients.py \\
        --strata-compile build/bin/strata-compile --strata-run build/bin/strata-run
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

LOSS_TOL = 1e-5
GRAD_TOL = 1e-4
FD_TOL = 1e-6
FD_STEP = 1e-4  # small enough that no ReLU of the MLP encoder changes sign (measured)
FD_ELEMENTS = 2
TASKS = [("t0", 3), ("t1", 4)]

# The methods: the description's keys (YAML under model:) and the reference's config keys.
METHODS = {
    "prompt-tuning": ("""
  virtual_prompt_style: prompt-tuning
  new_tasks: [t0, t1]
""", {"virtual_prompt_style": "prompt-tuning"}),
    "p-tuning-mlp": ("""
  virtual_prompt_style: p-tuning
  new_tasks: [t0, t1]
  p_tuning: {encoder_type: mlp, num_layers: 3, encoder_hidden: 16, dropout: 0.0}
""", {"virtual_prompt_style": "p-tuning",
      "p_tuning": {"encoder_type": "mlp", "num_layers": 3, "encoder_hidden": 16,
                   "dropout": 0.0}}),
    "p-tuning-lstm": ("""
  virtual_prompt_style: p-tuning
  new_tasks: [t0, t1]
  p_tuning: {encoder_type: lstm, num_layers: 2, encoder_hidden: 8, dropout: 0.0}
""", {"virtual_prompt_style": "p-tuning",
      "p_tuning": {"encoder_type": "lstm", "num_layers": 2, "encoder_hidden": 8,
                   "dropout": 0.0}}),
    "lora": ("""
  peft:
    peft_scheme: lora
    lora_tuning:
      adapter_dim: 4
      alpha: 6
      adapter_dropout: 0.0
      target_modules: [attention_qkv, attention_dense, mlp_fc1, mlp_fc2]
""", {"lora": {"adapter_dim": 4, "alpha": 6,
               "targets": ["attention_qkv", "attention_dense", "mlp_fc1", "mlp_fc2"]}}),
}

TEMPLATES = """
  task_templates:
  - taskname: t0
    prompt_template: "<|VIRTUAL_PROMPT_0|> {text}"
    total_virtual_tokens: 3
    answer_only_loss: false
  - taskname: t1
    prompt_template: "<|VIRTUAL_PROMPT_0|> {text}"
    total_virtual_tokens: 4
    answer_only_loss: false
"""


def description(family, method, directory):
    """The family's description with the method's keys (its model: section is the last)."""
    keys, _ = METHODS[method]
    text = family.model.read_text().rstrip("\n") + "\n" + keys
    if "virtual_prompt_style" in keys:
        text += TEMPLATES
    path = Path(directory) / f"{family.name}-{method}.yaml"
    path.write_text(text)
    return path


def reference_config(family, method, directory):
    with open(family.config) as f:
        config = json.load(f)
    _, extra = METHODS[method]
    config.update(extra)
    if "virtual_prompt_style" in extra:
        config["tasks"] = [{"name": n, "total_virtual_tokens": k, "trained": True}
                           for n, k in TASKS]
    path = Path(directory) / f"{family.name}-{method}.json"
    path.write_text(json.dumps(config))
    return path


ROWS = 6
# One micro-batch of all rows: Strata's loss is the mean of its micro-batches' means, the
# reference's the mean over the whole batch's counted labels.
BATCH = [f"model.micro_batch_size={ROWS}", f"model.global_batch_size={ROWS}"]


def batch(vocab, seq, virtual, seed):
    """tokens, labels (a quarter -1), virtual tokens (-1 without virtual tokens): [ROWS, seq];
    even rows task t0 (its virtual rows 0..2 at positions 0-2), odd rows task t1 (rows 3..6 at
    positions 1-4), so every micro-batch mixes the tasks."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocab, size=(ROWS, seq)).astype(np.int32)
    labels = rng.integers(0, vocab, size=(ROWS, seq)).astype(np.int32)
    labels[rng.random(labels.shape) < 0.25] = -1
    vt = np.full((ROWS, seq), -1, np.int32)
    if virtual:
        vt[0::2, 0:3] = np.arange(3)
        vt[1::2, 1:5] = 3 + np.arange(4)
    return tokens, labels, vt


class Case:
    def __init__(self, args, family, method, work):
        self.args, self.family, self.method = args, family, method
        self.work = Path(work) / f"{family.name}-{method}"
        self.work.mkdir()
        self.model = description(family, method, self.work)
        self.config = reference_config(family, method, self.work)
        self.virtual = "virtual_prompt_style" in METHODS[method][0]

    def files(self, vocab, seq):
        tokens, labels, vt = batch(vocab, seq, self.virtual, seed=5)
        files = {"tokens": self.work / "tokens.npy", "labels": self.work / "labels.npy",
                 "virtual": self.work / "virtual.npy"}
        np.save(files["tokens"], tokens)
        np.save(files["labels"], labels)
        np.save(files["virtual"], vt)
        return files

    def batch_args(self, files):
        args = ["--tokens", files["tokens"], "--labels", files["labels"]]
        if self.virtual:
            args += ["--virtual-tokens", files["virtual"]]
        return args

    def checkpoint(self, dtype):
        """Base (norms and biases randomized) and adapters (randomized) in one file."""
        path = self.work / f"checkpoint-{np.dtype(dtype).name}.safetensors"
        raw = self.work / "init.safetensors"
        e2e.run([self.args.python, e2e.REFERENCE_CLI, "init", "--config", self.config,
                 "--seed", "11", "--randomize-adapters", "--out", raw])
        tensors = e2e.load(raw)
        base = {n: t for n, t in tensors.items() if not is_adapter(n)}
        out = e2e.randomize_norms_and_biases(base, seed=12)
        out.update({n: t for n, t in tensors.items() if is_adapter(n)})
        e2e.save({n: t.astype(dtype) for n, t in out.items()}, path)
        return path

    def strata(self, mode, artifact, checkpoint, files, out):
        e2e.run([self.args.strata_run, mode, artifact, "--checkpoint", checkpoint,
                 *self.batch_args(files), "--out", out], env=e2e.strata_env())
        return e2e.load(out)


def is_adapter(name):
    return (name.startswith("prompt_table.") or name.startswith("prompt_encoder.")
            or ".lora_" in name)


def relative(a, b):
    return float(np.linalg.norm((a - b).ravel()) / max(np.linalg.norm(b.ravel()), 1e-30))


def compare_with_reference(case, table):
    config = e2e.compile_config(case.args.strata_compile, case.model, BATCH)
    artifact = e2e.compile_artifact(case.args.strata_compile, case.model,
                                    case.work / "m.strata", BATCH)
    files = case.files(config["padded_vocab_size"], config["seq_length"])
    checkpoint = case.checkpoint(np.float32)
    got = case.strata("grad", artifact, checkpoint, files, case.work / "strata.safetensors")
    e2e.run([case.args.python, e2e.REFERENCE_CLI, "grad", "--config", case.config,
             "--checkpoint", checkpoint, *case.batch_args(files),
             "--out", case.work / "ref.safetensors"])
    want = e2e.load(case.work / "ref.safetensors")
    name = f"{case.family.name} {case.method}"
    table.add(name, "loss", "|a - b|", abs(float(got["loss"]) - float(want["loss"])), LOSS_TOL)
    grads = sorted(k for k in want if k.startswith("grad."))
    if sorted(k for k in got if k.startswith("grad.")) != grads:
        raise E2EError(f"{name}: Strata's gradients {sorted(got)} are not the reference's "
                       f"{sorted(want)}")
    if any(not is_adapter(k[len("grad."):]) for k in grads):
        raise E2EError(f"{name}: a base parameter has a gradient: {grads}")
    for key in grads:
        table.add(name, key, "||a - b|| / ||b||", relative(got[key], want[key]), GRAD_TOL)
    return files


def finite_differences(case, files, table):
    overrides = BATCH + ["model.precision=64"]
    artifact = e2e.compile_artifact(case.args.strata_compile, case.model,
                                    case.work / "m64.strata", overrides)
    checkpoint = case.checkpoint(np.float64)
    grads = case.strata("grad", artifact, checkpoint, files, case.work / "g64.safetensors")
    params = e2e.load(checkpoint)
    rng = np.random.default_rng(3)
    name = f"{case.family.name} {case.method} f64"
    offsets, weights, denominator = [-2, -1, 1, 2], [1, -8, 8, -1], 12

    def loss_at(tensor_name, index, delta):
        moved = dict(params)
        t = moved[tensor_name].copy()
        t.flat[index] += delta
        moved[tensor_name] = t
        path = case.work / "moved.safetensors"
        e2e.save(moved, path)
        return float(case.strata("eval", artifact, path, files,
                                 case.work / "e.safetensors")["loss"])

    # Every kind of tensor once: task t1's and layers 1.. repeat t0's and layer 0's.
    keys = [k for k in sorted(grads) if k.startswith("grad.")
            and ".t1." not in k and not k.startswith("grad.layers.") or
            k.startswith("grad.layers.0.")]
    for key in keys:
        tensor = key[len("grad."):]
        g = grads[key]
        for index in rng.choice(g.size, size=min(FD_ELEMENTS, g.size), replace=False):
            fd = sum(w * loss_at(tensor, index, o * FD_STEP)
                     for o, w in zip(offsets, weights)) / (denominator * FD_STEP)
            exact = float(g.flat[index])
            table.add(name, f"{tensor}[{index}]", "|fd - g| / max(|g|, 1e-4)",
                      abs(fd - exact) / max(abs(exact), 1e-4), FD_TOL)


TP_TOL = 1e-5  # tests/e2e/parallel_equivalence.py's TOLERANCE
ROW_TOL = 1e-5  # one row alone against the same row in a mixed batch: f32 rounding


def frozen_base(case, files, table):
    """Three AdamW steps (lr 1e-2) of `strata-run train` move the adapters and leave every
    base parameter bitwise as it was."""
    steps = 3
    tiled = {k: case.work / f"train-{k}.npy" for k in files}
    for k, path in files.items():
        np.save(tiled[k], np.tile(np.load(path), (steps, 1)))
    checkpoint = case.work / "checkpoint-float32.safetensors"
    saved = case.work / "trained.safetensors"
    e2e.run([case.args.strata_run, "train", case.work / "m.strata", "--checkpoint",
             checkpoint, *case.batch_args(tiled), "--steps", steps, "--lr", "1e-2",
             "--save", saved], env=e2e.strata_env())
    before, after = e2e.load(checkpoint), e2e.load(saved)
    name = f"{case.family.name} {case.method} train"
    changed = [n for n in after if not is_adapter(n) and
               not np.array_equal(after[n], before[n])]
    # P-tuning's checkpoints also carry each task's table (its encoder's output), for inference.
    tables = ({n for n in after if n.startswith("prompt_table.")}
              if case.method.startswith("p-tuning") else set())
    if sorted(after) != sorted(set(before) | tables):
        raise E2EError(f"{name}: the saved checkpoint holds {sorted(after)}, the loaded one "
                       f"{sorted(before)}")
    if changed:
        raise E2EError(f"{name}: training changed base parameters: {changed}")
    moved = min(relative(after[n], before[n]) for n in before if is_adapter(n))
    table.add(name, "base parameters", "changed", len(changed), 0)
    table.add(name, "adapters", "min ||after - before|| / ||before||", moved)
    if not moved > 0:
        raise E2EError(f"{name}: an adapter did not move in {steps} steps")


def rows_alone(case, files, table):
    """Each row of the mixed-task batch evaluated alone (an artifact of micro-batch 1) gives
    the logits it gets in the batch, and the batch's loss is the rows' losses weighted by
    their counted labels."""
    one = ["model.micro_batch_size=1", "model.global_batch_size=1"]
    together = case.strata("eval", case.work / "m.strata", case.work / "checkpoint-float32.safetensors",
                           files, case.work / "together.safetensors")
    artifact = e2e.compile_artifact(case.args.strata_compile, case.model,
                                    case.work / "m1.strata", one)
    arrays = {k: np.load(v) for k, v in files.items()}
    losses, counts, worst = [], [], 0.0
    for r in range(ROWS):
        row_files = {k: case.work / f"row-{k}.npy" for k in files}
        for k, a in arrays.items():
            np.save(row_files[k], a[r:r + 1])
        alone = case.strata("eval", artifact, case.work / "checkpoint-float32.safetensors",
                            row_files, case.work / "alone.safetensors")
        scale = max(float(np.abs(together["logits"][r]).max()), 1e-30)
        worst = max(worst, float(np.abs(alone["logits"][0] - together["logits"][r]).max())
                    / scale)
        losses.append(float(alone["loss"]))
        counts.append(int((arrays["labels"][r] >= 0).sum()))
    name = f"{case.family.name} {case.method} rows alone"
    table.add(name, "logits", "max|a - b| / max|b|", worst, ROW_TOL)
    weighted = float(np.dot(losses, counts) / np.sum(counts))
    table.add(name, "loss", "|a - b|", abs(weighted - float(together["loss"])), ROW_TOL)


def reference_config_of(config, method):
    """The reference's config of a compiled description's tfm.config (the tp models have no
    config of their own), with the method's keys."""
    gpt2 = config["normalization"] == "layernorm"
    ref = {"family": "gpt2" if gpt2 else "llama", "num_layers": config["num_layers"],
           "hidden": config["hidden_size"], "heads": config["num_attention_heads"],
           "query_groups": config["num_query_groups"], "ffn": config["ffn_hidden_size"],
           "vocab": config["padded_vocab_size"], "eps": config["layernorm_epsilon"],
           "bias": config["bias"], "activation": config["activation"],
           "tie_embeddings": config["share_embeddings_and_output_weights"]}
    if gpt2:
        ref["max_positions"] = config["max_position_embeddings"]
    else:
        ref["rope_base"] = config["rotary_base"]
    _, extra = METHODS[method]
    ref.update(extra)
    if "virtual_prompt_style" in extra:
        ref["tasks"] = [{"name": n, "total_virtual_tokens": k, "trained": True}
                        for n, k in TASKS]
    return ref


def tensor_parallel(args, model_name, method, work, table):
    """tp 2 against one rank for |method| on tests/e2e/models/|model_name|.yaml, from a
    checkpoint whose adapters are all non-zero (LoRA's linear_in gets a gradient)."""
    family = e2e.Family(model_name, e2e.E2E / "models" / f"{model_name}.yaml", Path())
    case_dir = Path(work) / f"{model_name}-{method}-tp"
    case_dir.mkdir()
    model = description(family, method, case_dir)
    virtual = "virtual_prompt_style" in METHODS[method][0]
    config = e2e.compile_config(args.strata_compile, model,
                                BATCH + ["model.hidden_dropout=0.0",
                                         "model.attention_dropout=0.0"])
    tokens, labels, vt = batch(config["padded_vocab_size"], config["seq_length"], virtual, 9)
    ref_config = case_dir / "reference.json"
    ref_config.write_text(json.dumps(reference_config_of(config, method)))
    checkpoint = case_dir / "checkpoint.safetensors"
    e2e.run([args.python, e2e.REFERENCE_CLI, "init", "--config", ref_config, "--seed", "21",
             "--randomize-adapters", "--out", checkpoint])
    files = []
    for name, array in (("tokens", tokens), ("labels", labels), ("virtual", vt)):
        np.save(case_dir / f"{name}.npy", array)
        files.append(case_dir / f"{name}.npy")
    inputs = ["--checkpoint", checkpoint, "--tokens", files[0], "--labels", files[1]]
    if virtual:
        inputs += ["--virtual-tokens", files[2]]
    grads = {}
    for tp in (1, 2):
        layout = [f"model.tensor_model_parallel_size={tp}", f"trainer.devices={tp}"]
        artifact = e2e.compile_artifact(args.strata_compile, model,
                                        case_dir / f"tp{tp}.strata", BATCH + layout)
        out = case_dir / f"tp{tp}.safetensors"
        cmd = [args.strata_run, "grad", artifact, *inputs, "--out", out]
        if tp > 1:
            cmd = [args.mpirun, "--allow-run-as-root", "--oversubscribe", "--mca", "pml",
                   "ob1", "--mca", "btl", "self,vader", "-np", str(tp)] + cmd
        e2e.run(cmd, env=e2e.strata_env(1))
        grads[tp] = e2e.load(out)
    name = f"{model_name} {method} tp 2"
    table.add(name, "loss", "|a - b|",
              abs(float(grads[2]["loss"]) - float(grads[1]["loss"])), TP_TOL)
    if sorted(grads[1]) != sorted(grads[2]):
        raise E2EError(f"{name}: gradients {sorted(grads[2])}, one rank {sorted(grads[1])}")
    for key in sorted(k for k in grads[1] if k.startswith("grad.")):
        table.add(name, key, "||a - b|| / ||b||", relative(grads[2][key], grads[1][key]),
                  TP_TOL)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--families", default="gpt2,llama")
    p.add_argument("--no-finite-differences", action="store_true")
    p.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    args = p.parse_args()
    e2e.check_torch(args.python)
    table = e2e.Table(where_header="")
    with tempfile.TemporaryDirectory() as work:
        for family_name in args.families.split(","):
            for method in args.methods.split(","):
                case = Case(args, e2e.FAMILIES[family_name], method, work)
                files = compare_with_reference(case, table)
                frozen_base(case, files, table)
                if case.virtual:
                    rows_alone(case, files, table)
                if not args.no_finite_differences:
                    finite_differences(case, files, table)
        if shutil.which(args.mpirun):
            for model_name in ("tp-gpt", "tp-llama"):
                for method in ("prompt-tuning", "lora"):
                    tensor_parallel(args, model_name, method, work, table)
        else:
            print(f"tensor parallelism skipped: no {args.mpirun}")
    table.print()
    if table.failures():
        table.print_failures()
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except E2EError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
