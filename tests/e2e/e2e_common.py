"""Shared pieces of the end-to-end numerics tests (tests/e2e/*.py).

The tests drive the real tools, as a user would: `strata-compile` writes an artifact, `strata-run
eval|grad|train` runs it, and the independent PyTorch reference (tests/reference/cli.py) computes
the same quantities from the same checkpoint and tokens. Every file in between is a safetensors or
.npy file, read and written with tests/reference/safetensors_io.py (numpy only).

Run the scripts with /usr/bin/python3 (Debian's python3-torch and python3-numpy).
"""

import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
E2E = REPO / "tests" / "e2e"
REFERENCE = REPO / "tests" / "reference"
REFERENCE_CLI = REFERENCE / "cli.py"

sys.path.insert(0, str(REFERENCE))
import safetensors_io  # noqa: E402

# ctest's SKIP_RETURN_CODE for both tests: PyTorch is missing.
SKIP = 77


@dataclass(frozen=True)
class Family:
    name: str          # "gpt2" | "llama" | a variant's name
    model: Path        # Strata model description (tests/e2e/models)
    config: Path       # the reference's config.json with the same sizes
    layout: str = None  # the Hugging Face layout ("gpt2" | "llama"); default: name

    @property
    def hf_layout(self):
        return self.layout or self.name


FAMILIES = {
    "gpt2": Family("gpt2", E2E / "models" / "gpt2-small-odd.yaml",
                   REFERENCE / "configs" / "gpt2-small-odd.json"),
    "llama": Family("llama", E2E / "models" / "llama-small-odd.yaml",
                    REFERENCE / "configs" / "llama-small-odd.json"),
    # NeMo's variants (docs/model-description.md): layernorm1p with the tanh GELU of
    # openai_gelu, and partial rotary embeddings (rotary_percentage 0.5).
    "gpt2-layernorm1p": Family("gpt2-layernorm1p", E2E / "models" / "gpt2-layernorm1p.yaml",
                               REFERENCE / "configs" / "gpt2-layernorm1p.json", "gpt2"),
    "llama-partial-rotary": Family("llama-partial-rotary",
                                   E2E / "models" / "llama-partial-rotary.yaml",
                                   REFERENCE / "configs" / "llama-partial-rotary.json", "llama"),
}


class E2EError(Exception):
    """A failed tool run or a check that did not hold; the message says which and why."""


def tail(text, lines=25):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run(cmd, env=None, cwd=None):
    """Runs cmd (a list); returns its stdout. A non-zero exit raises E2EError with the command
    line and the end of its output."""
    cmd = [str(c) for c in cmd]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        proc = subprocess.run(cmd, env=full_env, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    except OSError as e:
        raise E2EError(f"cannot run {shlex.join(cmd)}: {e}")
    if proc.returncode != 0:
        raise E2EError(f"command failed with exit code {proc.returncode}:\n  {shlex.join(cmd)}\n"
                       f"{tail(proc.stdout + proc.stderr)}")
    return proc.stdout


def generated_ids(output):
    """(prompt ids, generated ids) of each `ids: ... | ...` line of `strata-run generate
    --print-ids`."""
    rows = []
    for line in output.splitlines():
        m = re.match(r"ids:([\d ]*)\|([\d ]*)$", line)
        if m:
            rows.append(([int(t) for t in m.group(1).split()], [int(t) for t in m.group(2).split()]))
    return rows


def parallel(fn, items, jobs):
    """[fn(x) for x in items], run on `jobs` threads (each call mostly waits on a subprocess)."""
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(fn, items))


def mpi_tool_args(doc, argv=None):
    """The arguments of an mpirun test (--strata-compile, --strata-run, --mpirun); None when
    there is no mpirun (the caller skips)."""
    import argparse
    import shutil
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    args = p.parse_args(argv)
    if not shutil.which(args.mpirun):
        print(f"skipped: no {args.mpirun}")
        return None
    return args


def strata_env(threads=2):
    """Environment of strata-run: its OpenMP threads (kept if the caller set them)."""
    return {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(threads))}


def check_torch(python):
    """Exits with SKIP when `python` cannot import torch (the reference needs it)."""
    proc = subprocess.run([python, "-c", "import torch, numpy"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print(f"SKIP: {python} cannot import torch and numpy (Debian: python3-torch, "
              f"python3-numpy); the PyTorch reference cannot run", flush=True)
        sys.exit(SKIP)


# ------------------------------------------------------------------------------------------------
# Strata side


def compile_config(strata_compile, model, overrides=()):
    """The effective configuration of a model description (defaults, overrides applied): the
    `tfm.config` dictionary of its input-phase IR, as {key: int | float | bool | str}."""
    ir = run([strata_compile, model, "--compile-to=input", *overrides])
    m = re.search(r"tfm\.config = \{(.*?)\}", ir)
    if not m:
        raise E2EError(f"{model}: no tfm.config in the input-phase IR")
    config = {}
    for entry in re.finditer(r'([A-Za-z_]+) = ("(?:[^"\\]|\\.)*"|[^,]+)', m.group(1)):
        key, value = entry.group(1), entry.group(2).strip()
        if value.startswith('"'):
            config[key] = value[1:-1]
        elif value in ("true", "false"):
            config[key] = value == "true"
        elif value.endswith(": i64"):
            config[key] = int(value.split(":")[0])
        else:
            config[key] = float(value.split(":")[0])
    return config


def compile_artifact(strata_compile, model, out, overrides=()):
    run([strata_compile, model, *overrides, "-o", out])
    return out


def check_matches_reference(config, family):
    """The Strata description and the reference's config.json describe the same model."""
    with open(family.config) as f:
        ref = json.load(f)
    ref_activation = ref.get("activation", "gelu_new" if ref["family"] == "gpt2" else "swiglu")
    activation = {"gelu": "gelu", "gelu_new": "fast-gelu", "gelu_tanh": "fast-gelu",
                  "fast-gelu": "fast-gelu", "openai-gelu": "fast-gelu",
                  "approx-gelu": "fast-gelu", "swiglu": "swiglu",
                  "fast-swiglu": "swiglu"}[ref_activation]
    gpt2 = ref["family"] == "gpt2"
    expected = {
        "num_layers": ref["num_layers"],
        "hidden_size": ref["hidden"],
        "num_attention_heads": ref["heads"],
        "num_query_groups": ref.get("query_groups", ref["heads"]),
        "ffn_hidden_size": ref.get("ffn", 4 * ref["hidden"]),
        "padded_vocab_size": ref["vocab"],
        "layernorm_epsilon": ref.get("eps", 1e-5),
        "activation": activation,
        "bias": ref.get("bias", gpt2),
        "share_embeddings_and_output_weights": ref.get("tie_embeddings", gpt2),
        "normalization": ref.get("normalization", "layernorm" if gpt2 else "rmsnorm"),
        "position_embedding_type": "learned_absolute" if gpt2 else "rope",
        "hidden_dropout": 0.0,
        "attention_dropout": 0.0,
        "ffn_dropout": 0.0,
    }
    if gpt2:
        expected["max_position_embeddings"] = ref["max_positions"]
    else:
        expected["rotary_base"] = ref.get("rope_base", 10000.0)
        expected["rotary_percentage"] = ref.get("rotary_percentage", 1.0)
    wrong = [f"{k}: {config.get(k)!r} (reference {v!r})" for k, v in expected.items()
             if config.get(k) != v]
    if wrong:
        raise E2EError(f"{family.model} does not describe the model of {family.config}: "
                       + "; ".join(wrong))


def micro_batches(config):
    return config["global_batch_size"] // (config["micro_batch_size"] *
                                           config["data_parallel_size"])


def make_tokens(vocab, rows, seq, seed, dtype=np.int32):
    """Uniform token ids [rows, seq + 1]: inputs T[:, :-1], targets T[:, 1:]."""
    return np.random.default_rng(seed).integers(0, vocab, size=(rows, seq + 1)).astype(dtype)


# ------------------------------------------------------------------------------------------------
# Reference side


def reference(python, mode, family, *args):
    """Runs tests/reference/cli.py MODE --config <the family's config> ARGS."""
    return run([python, REFERENCE_CLI, mode, "--config", family.config, *args])


def load(path):
    return safetensors_io.load_file(str(path))


def save(tensors, path):
    safetensors_io.save_file(tensors, str(path))


# ------------------------------------------------------------------------------------------------
# Reporting


class Table:
    """Rows of (family, quantity, worst tensor, metric, value, tolerance). A row fails when the
    value is above its tolerance or not finite; a row without a tolerance is information only.
    print() writes an aligned table."""

    def __init__(self, where_header="worst tensor"):
        self.rows = []
        self.where_header = where_header

    def add(self, family, what, metric, value, tolerance=None, where=""):
        value = float(value)
        ok = tolerance is None or bool(np.isfinite(value) and value <= tolerance)
        self.rows.append((family, what, where, metric, value, tolerance, ok))
        return ok

    def failures(self):
        return [r for r in self.rows if not r[6]]

    def print(self, out=sys.stdout):
        header = ("family", "quantity", self.where_header, "metric", "measured", "tolerance", "")
        body = [(f, w, where, m, f"{v:.3e}", "-" if t is None else f"{t:.0e}",
                 "info" if t is None else "ok" if ok else "FAIL")
                for f, w, where, m, v, t, ok in self.rows]
        widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]
        line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
        print(line(header), file=out)
        print("  ".join("-" * w for w in widths), file=out)
        for r in body:
            print(line(r), file=out)
        out.flush()

    def print_failures(self, out=sys.stderr):
        failures = self.failures()
        print(f"\nFAILED: {len(failures)} comparison(s) outside tolerance:", file=out)
        for fam, what, where, metric, value, tol, _ in failures:
            where = f" [{where}]" if where else ""
            print(f"  {fam}: {what.strip()}{where}: {metric} = {value:.3e} > {tol:.0e}", file=out)


# ------------------------------------------------------------------------------------------------
# Parameter tables


def strata_parameters(strata_compile, model, overrides=()):
    """{Strata parameter name: shape} from the input-phase IR, in declaration order."""
    ir = run([strata_compile, model, "--compile-to=input", *overrides])
    params = {}
    for m in re.finditer(r"tfm\.parameter @([\w.]+) : tensor<([0-9x]+)x[a-z0-9]+>", ir):
        params[m.group(1)] = tuple(int(d) for d in m.group(2).split("x"))
    return params


def hugging_face_shapes(params, family):
    """The Hugging Face tensors {name: shape} that Strata's parameters {name: shape} map to, by
    the layouts of docs/architecture.md and runtime/io/hf_checkpoint.h (GPT-2's separate q, k, v
    are one Conv1D c_attn [in, 3 * out]; Conv1D weights are [in, out]; Llama's heads are
    flattened). An independent statement of the mapping, checked against the reference's
    checkpoint before anything runs."""
    out = {}
    gpt2 = family == "gpt2"
    flat = lambda s: int(np.prod(s))
    for name, s in params.items():
        m = re.fullmatch(r"layers\.(\d+)\.(.*)", name)
        if not m:
            hf = {"embedding.word_embeddings.weight": "wte.weight" if gpt2
                  else "model.embed_tokens.weight",
                  "embedding.position_embeddings.weight": "wpe.weight",
                  "final_norm.weight": "ln_f.weight" if gpt2 else "model.norm.weight",
                  "final_norm.bias": "ln_f.bias",
                  "output.weight": "lm_head.weight"}[name]
            out[hf] = s
            continue
        n, rest = m.group(1), m.group(2)
        if gpt2:
            p = f"h.{n}."
            norm = {"input_norm": "ln_1", "post_attention_norm": "ln_2"}
            kind, _, field = rest.rpartition(".")
            if kind in norm:
                out[p + norm[kind] + "." + field] = s
            elif kind in ("attention.query", "attention.key", "attention.value"):
                key = p + "attn.c_attn." + field
                width = flat(s[:2])
                if field == "weight":
                    prev = out.get(key, (s[2], 0))
                    out[key] = (s[2], prev[1] + width)
                else:
                    out[key] = (out.get(key, (0,))[0] + width,)
            elif rest == "attention.output.weight":
                out[p + "attn.c_proj.weight"] = (flat(s[1:]), s[0])
            elif rest == "attention.output.bias":
                out[p + "attn.c_proj.bias"] = s
            elif kind == "mlp.fc1":
                out[p + "mlp.c_fc." + field] = (s[1], s[0]) if field == "weight" else s
            elif kind == "mlp.fc2":
                out[p + "mlp.c_proj." + field] = (s[1], s[0]) if field == "weight" else s
            else:
                raise E2EError(f"no GPT-2 name for Strata parameter {name}")
        else:
            p = f"model.layers.{n}."
            heads_first = lambda: (flat(s[:2]), s[2])   # [heads, head_dim, H] -> [heads*hd, H]
            table = {"input_norm.weight": ("input_layernorm.weight", lambda: s),
                     "post_attention_norm.weight": ("post_attention_layernorm.weight", lambda: s),
                     "attention.query.weight": ("self_attn.q_proj.weight", heads_first),
                     "attention.key.weight": ("self_attn.k_proj.weight", heads_first),
                     "attention.value.weight": ("self_attn.v_proj.weight", heads_first),
                     "attention.output.weight": ("self_attn.o_proj.weight",
                                                 lambda: (s[0], flat(s[1:]))),
                     "mlp.gate.weight": ("mlp.gate_proj.weight", lambda: s),
                     "mlp.up.weight": ("mlp.up_proj.weight", lambda: s),
                     "mlp.fc2.weight": ("mlp.down_proj.weight", lambda: s)}
            if rest not in table:
                raise E2EError(f"no Llama name for Strata parameter {name}")
            hf, shape = table[rest]
            shape = shape()
            out[p + hf] = shape
    return out


def check_parameter_table(strata_compile, family, checkpoint, overrides=()):
    """Strata's parameters, mapped to Hugging Face names, are exactly the reference checkpoint's
    tensors with the same shapes."""
    mapped = hugging_face_shapes(strata_parameters(strata_compile, family.model, overrides),
                                 family.hf_layout)
    ref = {k: tuple(v.shape) for k, v in load(checkpoint).items()}
    problems = [f"{k}: Strata {mapped.get(k)}, reference {ref.get(k)}"
                for k in sorted(set(mapped) | set(ref)) if mapped.get(k) != ref.get(k)]
    if problems:
        raise E2EError(f"{family.model}: the parameters do not match the reference's:\n  "
                       + "\n  ".join(problems))
    return len(ref), sum(int(np.prod(s)) for s in ref.values())


def randomize_norms_and_biases(tensors, seed):
    """The reference's init has unit norm weights and zero biases, which would hide a backward
    pass that forgets a norm's scale or a bias; give them random values instead: norm weights
    1 + N(0, 0.1), biases N(0, 0.02). Returns a new dict, same names, dtypes and shapes."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(tensors):
        t = tensors[name]
        if name.endswith(".bias"):
            t = rng.normal(0.0, 0.02, t.shape).astype(t.dtype)
        elif t.ndim == 1 and name.endswith(".weight"):  # the norms' scales, in both families
            t = (1.0 + rng.normal(0.0, 0.1, t.shape)).astype(t.dtype)
        out[name] = t
    return out
