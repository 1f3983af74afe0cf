"""Command line of the reference models, mirroring strata-run's numerics interface.

    python3 tests/reference/cli.py init  --config CFG.json --seed S --out C.safetensors
    python3 tests/reference/cli.py eval  --config CFG.json --checkpoint C --tokens T.npy --out O.safetensors
    python3 tests/reference/cli.py grad  --config CFG.json --checkpoint C --tokens T.npy --out O.safetensors
    python3 tests/reference/cli.py train --config CFG.json --checkpoint C --tokens T.npy --steps N --lr X
            [--weight-decay W --beta1 B1 --beta2 B2 --eps E --clip-grad G] --save P.safetensors
            [--out L.safetensors]

Every mode but init takes --dtype float32 (default) | float64; outputs are written in that dtype.
See README.md.
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


def _load(args):
    import torch
    import models
    cfg = load_config(args.config)
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    params = models.params_from_arrays(cfg, safetensors_io.load_file(args.checkpoint), dtype)
    tokens = safetensors_io.load_tokens(args.tokens)
    if tokens.min() < 0 or tokens.max() >= cfg.vocab:
        raise ValueError(f"{args.tokens}: token ids outside [0, {cfg.vocab})")
    return cfg, params, tokens


def _numpy(t):
    return t.detach().cpu().numpy()


def cmd_init(args):
    import models
    cfg = load_config(args.config)
    safetensors_io.save_file(models.init_params(cfg, args.seed, args.std), args.out)


def cmd_eval(args):
    import models
    cfg, params, tokens = _load(args)
    logits, loss = models.evaluate(cfg, params, tokens)
    safetensors_io.save_file({"logits": _numpy(logits), "loss": _numpy(loss)}, args.out)


def cmd_grad(args):
    import models
    cfg, params, tokens = _load(args)
    loss, grads = models.loss_and_grads(cfg, params, tokens)
    out = {"loss": _numpy(loss)}
    out.update({"grad." + name: _numpy(g) for name, g in grads.items()})
    safetensors_io.save_file(out, args.out)


def cmd_train(args):
    import models
    import numpy as np
    cfg, params, tokens = _load(args)
    losses = models.train(cfg, params, tokens, args.steps, args.lr, args.weight_decay, args.beta1,
                          args.beta2, args.eps, args.clip_grad)
    safetensors_io.save_file({n: _numpy(t) for n, t in params.items()}, args.save)
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
    init.set_defaults(run=cmd_init)

    def common(name, help_, run):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--config", required=True)
        s.add_argument("--checkpoint", required=True)
        s.add_argument("--tokens", required=True, help=".npy int32/int64 [rows, seq + 1]")
        s.add_argument("--dtype", choices=("float32", "float64"), default="float32")
        s.set_defaults(run=run)
        return s

    common("eval", "logits and loss", cmd_eval).add_argument("--out", required=True)
    common("grad", "loss and the gradient of every parameter", cmd_grad).add_argument(
        "--out", required=True)
    train = common("train", "AdamW steps", cmd_train)
    train.add_argument("--steps", type=int, required=True)
    train.add_argument("--lr", type=float, required=True)
    train.add_argument("--weight-decay", type=float, default=0.0)
    train.add_argument("--beta1", type=float, default=0.9)
    train.add_argument("--beta2", type=float, default=0.999)
    train.add_argument("--eps", type=float, default=1e-8)
    train.add_argument("--clip-grad", type=float, default=0.0, help="global norm clip; 0: none")
    train.add_argument("--save", required=True, help="parameters after the last step")
    train.add_argument("--out", help="optional: per-step losses as `loss` [steps]")
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
