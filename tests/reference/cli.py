"""Command line of the reference models, mirroring strata-run's numerics interface.

    python3 tests/reference/cli.py init  --config CFG.json --seed S --out C.safetensors
            [--std 0.02] [--randomize-adapters] [--adapters-out A.safetensors]
    python3 tests/reference/cli.py eval  --config CFG.json --checkpoint C INPUTS --out O.safetensors
    python3 tests/reference/cli.py grad  --config CFG.json --checkpoint C INPUTS --out O.safetensors
    python3 tests/reference/cli.py train --config CFG.json --checkpoint C INPUTS --steps N --lr X
            [--weight-decay W --beta1 B1 --beta2 B2 --eps E --clip-grad G] --save P.safetensors
            [--out L.safetensors]
    python3 tests/reference/cli.py tables --config CFG.json --checkpoint C --out T.safetensors

INPUTS: --tokens T.npy ([rows, seq + 1]: next-token labels), or --tokens T.npy --labels L.npy
(both [rows, seq]; a label of -1 is ignored); optionally --positions P.npy and --virtual-tokens
V.npy ([rows, seq]). --adapters A.safetensors adds a second checkpoint file (the adapters).
Every mode but init and tables takes --dtype float32 (default) | float64; outputs are written in
that dtype. See README.md.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import safetensors_io  # noqa: E402


def load_config(path):
    import models
    with open(path) as f:
        return models.make_config(json.load(f))


def load_checkpoint(args):
    """The tensors of --checkpoint and, if given, --adapters (a name in both is an error)."""
    arrays = safetensors_io.load_file(args.checkpoint)
    if getattr(args, "adapters", None):
        extra = safetensors_io.load_file(args.adapters)
        both = sorted(set(arrays) & set(extra))
        if both:
            raise ValueError(f"{args.checkpoint} and {args.adapters} both hold {both}")
        arrays.update(extra)
    return arrays


def load_batch(cfg, args):
    """A models.Batch from --tokens and the optional --labels, --positions, --virtual-tokens."""
    import models
    optional = lambda path: None if path is None else safetensors_io.load_int_matrix(path)
    positions, virtual = optional(args.positions), optional(args.virtual_tokens)
    if args.labels is None:
        tokens = safetensors_io.load_tokens(args.tokens)
        batch = models.next_token_batch(tokens, positions, virtual)
        for name, t in (("positions", positions), ("virtual tokens", virtual)):
            if t is not None and tuple(t.shape) != tuple(batch.tokens.shape):
                raise ValueError(f"{name} {list(t.shape)} must be [rows, seq] of the tokens "
                                 f"{list(tokens.shape)} = [rows, seq + 1]")
    else:
        tokens = safetensors_io.load_int_matrix(args.tokens)
        batch = models.labeled_batch(tokens, safetensors_io.load_int_matrix(args.labels),
                                     positions, virtual)
    if tokens.min() < 0 or tokens.max() >= cfg.vocab:
        raise ValueError(f"{args.tokens}: token ids outside [0, {cfg.vocab})")
    return batch


def _load(args):
    import torch
    import models
    cfg = load_config(args.config)
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    params = models.params_from_arrays(cfg, load_checkpoint(args), dtype)
    return cfg, params, load_batch(cfg, args)


def _numpy(t):
    return t.detach().cpu().numpy()


def cmd_init(args):
    import models
    import prompt_learning as pl
    cfg = load_config(args.config)
    arrays = models.init_params(cfg, args.seed, args.std)
    if args.randomize_adapters:
        arrays = pl.randomize_adapters(cfg, arrays, args.seed, args.std)
    if args.adapters_out:
        adapters = pl.adapter_shapes(cfg)
        safetensors_io.save_file({n: a for n, a in arrays.items() if n in adapters},
                                 args.adapters_out)
        arrays = {n: a for n, a in arrays.items() if n not in adapters}
    safetensors_io.save_file(arrays, args.out)


def cmd_eval(args):
    import models
    cfg, params, batch = _load(args)
    logits, loss = models.evaluate(cfg, params, batch)
    safetensors_io.save_file({"logits": _numpy(logits), "loss": _numpy(loss)}, args.out)


def cmd_grad(args):
    import models
    cfg, params, batch = _load(args)
    loss, grads = models.loss_and_grads(cfg, params, batch)
    out = {"loss": _numpy(loss)}
    out.update({"grad." + name: _numpy(g) for name, g in grads.items()})
    safetensors_io.save_file(out, args.out)


def task_tables(cfg, params):
    """{prompt_table.<task>.weight: table} of every task: what an inference compile reads (for
    p-tuning the encoders' outputs, which the trainer writes into its checkpoints)."""
    import torch
    import prompt_learning as pl
    if cfg.prompt is None or cfg.prompt.style is None:
        return {}
    with torch.no_grad():
        return {f"prompt_table.{name}.weight": _numpy(t)
                for name, t in pl.virtual_tables(cfg, params).items()}


def saved_parameters(cfg, params):
    """What train --save writes: every parameter without prompt learning; with it, as the
    design's checkpoints: the trainable parameters plus the tables of the p-tuning tasks."""
    import models
    if cfg.prompt is None:
        return {n: _numpy(t) for n, t in params.items()}
    out = {n: _numpy(t) for n, t in models.trainable(params).items()}
    if cfg.prompt.style == "p-tuning":
        trained = {t.name for t in cfg.prompt.tasks if t.trained}
        out.update({n: t for n, t in task_tables(cfg, params).items()
                    if n.split(".")[1] in trained})
    return out


def cmd_tables(args):
    import torch
    import models
    cfg = load_config(args.config)
    params = models.params_from_arrays(cfg, load_checkpoint(args), torch.float32)
    tables = task_tables(cfg, params)
    if not tables:
        raise ValueError("tables: the config has no virtual_prompt_style")
    safetensors_io.save_file(tables, args.out)


def cmd_train(args):
    import models
    import numpy as np
    cfg, params, batch = _load(args)
    losses = models.train(cfg, params, batch, args.steps, args.lr, args.weight_decay, args.beta1,
                          args.beta2, args.eps, args.clip_grad)
    safetensors_io.save_file(saved_parameters(cfg, params), args.save)
    if args.out:
        dtype = np.float64 if args.dtype == "float64" else np.float32
        safetensors_io.save_file({"loss": np.array(losses, dtype)}, args.out)


def parser():
    p = argparse.ArgumentParser(prog="cli.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)

    init = sub.add_parser("init", help="write a deterministic random checkpoint")
    init.add_argument("--config", required=True)
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--std", type=float, default=0.02, help="std of the normal weight init")
    init.add_argument("--out", required=True)
    init.add_argument("--randomize-adapters", action="store_true",
                      help="adapter biases and LoRA linear_out N(0, std) instead of zeros")
    init.add_argument("--adapters-out", help="write the adapters here instead of into --out")
    init.set_defaults(run=cmd_init)

    def checkpoint_args(s):
        s.add_argument("--config", required=True)
        s.add_argument("--checkpoint", required=True)
        s.add_argument("--adapters", help="a second checkpoint file (e.g. init --adapters-out)")

    def common(name, help_, run):
        s = sub.add_parser(name, help=help_)
        checkpoint_args(s)
        s.add_argument("--tokens", required=True,
                       help=".npy int32/int64 [rows, seq + 1]; [rows, seq] with --labels")
        s.add_argument("--labels", help=".npy [rows, seq]: explicit labels, -1 ignored")
        s.add_argument("--positions", help=".npy [rows, seq]; default 0 .. seq-1 in every row")
        s.add_argument("--virtual-tokens", help=".npy [rows, seq]: -1 or a global virtual row")
        s.add_argument("--dtype", choices=("float32", "float64"), default="float32")
        s.set_defaults(run=run)
        return s

    common("eval", "logits and loss", cmd_eval).add_argument("--out", required=True)
    common("grad", "loss and the gradient of every trainable parameter", cmd_grad).add_argument(
        "--out", required=True)
    train = common("train", "AdamW steps", cmd_train)
    train.add_argument("--steps", type=int, required=True)
    train.add_argument("--lr", type=float, required=True)
    train.add_argument("--weight-decay", type=float, default=0.0)
    train.add_argument("--beta1", type=float, default=0.9)
    train.add_argument("--beta2", type=float, default=0.999)
    train.add_argument("--eps", type=float, default=1e-8)
    train.add_argument("--clip-grad", type=float, default=0.0, help="global norm clip; 0: none")
    train.add_argument("--save", required=True,
                       help="parameters after the last step (prompt learning: the trained ones)")
    train.add_argument("--out", help="optional: per-step losses as `loss` [steps]")

    tables = sub.add_parser("tables", help="prompt_table.<task>.weight of every task (f32)")
    checkpoint_args(tables)
    tables.add_argument("--out", required=True)
    tables.set_defaults(run=cmd_tables)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("cli.py: PyTorch is not installed (Debian: python3-torch); run with /usr/bin/python3")
    torch.set_num_threads(2)
    args.run(args)


if __name__ == "__main__":
    main()
