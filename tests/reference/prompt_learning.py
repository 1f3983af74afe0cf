"""Prompt tuning, p-tuning and LoRA on the reference models, as docs/prompt-learning.md defines them.

The base model (models.py, Hugging Face names) is frozen; these adapters are the trainable
parameters, named and shaped as Strata names them (there are no Hugging Face names for them), so
gradients and checkpoints of Strata and of the reference key on the same names:

  prompt_table.<task>.weight                         [n, hidden]   prompt tuning; p-tuning's
                                                                   existing (untrained) tasks
  prompt_encoder.<task>.embedding.weight             [n, hidden]   p-tuning, trained tasks
  prompt_encoder.<task>.mlp.<i>.{weight,bias}        mlp: hidden -> E -> ... -> hidden
  prompt_encoder.<task>.lstm.<i>.weight_ih           [2, 4E, in]   lstm: direction, gates i f g o
  prompt_encoder.<task>.lstm.<i>.weight_hh           [2, 4E, E]
  prompt_encoder.<task>.lstm.<i>.bias                [2, 4E]       PyTorch's bias_ih + bias_hh
  prompt_encoder.<task>.mlp_head.{0,1}.{weight,bias} 2E -> 2E, ReLU, 2E -> hidden
  layers.N.attention.lora_qkv.linear_in.weight       [r, hidden]
  layers.N.attention.lora_qkv.linear_out.{query,key,value}.weight  [heads|groups, head_dim, r]
  layers.N.attention.lora_dense.linear_in.weight     [r, heads, head_dim]
  layers.N.attention.lora_dense.linear_out.weight    [hidden, r]
  layers.N.mlp.lora_fc1.linear_in.weight             [r, hidden]
  layers.N.mlp.lora_fc1.linear_out.weight            [ffn, r]  (GELU) or .{gate,up}.weight (SwiGLU)
  layers.N.mlp.lora_fc2.linear_in.weight             [r, ffn]
  layers.N.mlp.lora_fc2.linear_out.weight            [hidden, r]

Linear weights are [out, in] (heads outermost where a dimension is split into heads, as Strata
lays out its query weight [heads, head_dim, hidden]). A LoRA update beside y = x W (+ b) is
y += (alpha / r) * (x A^T) B^T with A = linear_in flattened to [r, in] and B = linear_out
flattened to [out, r]. Dropout is 0 everywhere (the config refuses anything else).

This module does not import models.py: it takes the base config `cfg` (a models.Config whose
`prompt` field is a PromptConfig) and the parameter dict, and models.py calls it at the embedding
and at each projection.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

KEYS = ("virtual_prompt_style", "tasks", "p_tuning", "lora")
STYLES = ("prompt-tuning", "p-tuning")
ENCODERS = ("mlp", "lstm")
TARGETS = ("attention_qkv", "attention_dense", "mlp_fc1", "mlp_fc2")
TARGET_ALIASES = {"attention": ("attention_qkv", "attention_dense"),
                  "mlp": ("mlp_fc1", "mlp_fc2"), "all": TARGETS}
DEFAULT_TARGETS = ("attention_qkv",)  # NeMo's lora_tuning.target_modules default


@dataclass(frozen=True)
class Task:
    name: str
    total_virtual_tokens: int
    trained: bool = True  # new_tasks: trained; existing_tasks: frozen


@dataclass(frozen=True)
class PTuning:
    encoder_type: str       # "mlp" | "lstm"
    num_layers: int
    encoder_hidden: int
    dropout: float = 0.0


@dataclass(frozen=True)
class Lora:
    adapter_dim: int
    alpha: float
    targets: tuple

    @property
    def scale(self):
        return self.alpha / self.adapter_dim


@dataclass(frozen=True)
class PromptConfig:
    style: str              # "prompt-tuning" | "p-tuning" | None (LoRA alone)
    tasks: tuple            # of Task, in task order (global virtual rows follow it)
    p_tuning: PTuning
    lora: Lora

    def offsets(self):
        """{task name: its global virtual row 0}: the sum of the earlier tasks' totals."""
        out, o = {}, 0
        for t in self.tasks:
            out[t.name] = o
            o += t.total_virtual_tokens
        return out

    @property
    def total_virtual_tokens(self):
        return sum(t.total_virtual_tokens for t in self.tasks)

    def task(self, name):
        return next(t for t in self.tasks if t.name == name)


# ----------------------------------------------------------------------------------------------
# Config

def _positive_int(value, what):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"config: {what} must be a positive integer, not {value!r}")
    return value


def _exact_keys(d, required, optional, what):
    """Refuses a dict with unknown or missing keys (a typo must not silently change the model)."""
    if not isinstance(d, dict):
        raise ValueError(f"config: {what} must be an object")
    unknown = sorted(set(d) - set(required) - set(optional))
    missing = sorted(set(required) - set(d))
    if unknown or missing:
        raise ValueError(f"config: {what}: unknown keys {unknown}, missing keys {missing}")


def _make_tasks(items):
    if not isinstance(items, list) or not items:
        raise ValueError("config: tasks must be a non-empty list with a virtual_prompt_style")
    tasks = []
    for item in items:
        _exact_keys(item, ("name", "total_virtual_tokens"), ("trained",), "a task")
        name = item["name"]
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"config: task name {name!r} must be a non-empty string without '.'")
        trained = item.get("trained", True)
        if not isinstance(trained, bool):
            raise ValueError(f"config: task {name}: trained must be true or false")
        tasks.append(Task(name, _positive_int(item["total_virtual_tokens"],
                                              f"task {name}: total_virtual_tokens"), trained))
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ValueError(f"config: task names repeat: {names}")
    return tuple(tasks)


def _make_p_tuning(d):
    _exact_keys(d, ("encoder_type", "num_layers", "encoder_hidden"), ("dropout",), "p_tuning")
    if d["encoder_type"] not in ENCODERS:
        raise ValueError(f"config: p_tuning.encoder_type must be one of {ENCODERS}")
    if d.get("dropout", 0.0) != 0:
        raise ValueError("config: p_tuning.dropout must be 0 (the reference is deterministic)")
    return PTuning(d["encoder_type"], _positive_int(d["num_layers"], "p_tuning.num_layers"),
                   _positive_int(d["encoder_hidden"], "p_tuning.encoder_hidden"), 0.0)


def _make_lora(d):
    _exact_keys(d, ("adapter_dim",), ("alpha", "targets", "adapter_dropout"), "lora")
    r = _positive_int(d["adapter_dim"], "lora.adapter_dim")
    alpha = d.get("alpha", r)
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool):
        raise ValueError("config: lora.alpha must be a number")
    if d.get("adapter_dropout", 0.0) != 0:
        raise ValueError("config: lora.adapter_dropout must be 0 (the reference is deterministic)")
    targets = set()
    for t in d.get("targets", DEFAULT_TARGETS):
        if t not in TARGETS and t not in TARGET_ALIASES:
            raise ValueError(f"config: lora target {t!r}: one of {TARGETS + tuple(TARGET_ALIASES)}")
        targets.update(TARGET_ALIASES.get(t, (t,)))
    if not targets:
        raise ValueError("config: lora.targets is empty")
    return Lora(r, float(alpha), tuple(t for t in TARGETS if t in targets))


def make_prompt_config(d):
    """The PromptConfig of the prompt-learning keys of config.json (KEYS); None when they
    describe a plain model (absent or null), so such configs behave exactly as before."""
    style = d.get("virtual_prompt_style")
    tasks, p_tuning, lora = d.get("tasks"), d.get("p_tuning"), d.get("lora")
    if style is None:
        if tasks or p_tuning is not None:
            raise ValueError("config: tasks and p_tuning need a virtual_prompt_style")
        if lora is None:
            return None
        return PromptConfig(None, (), None, _make_lora(lora))
    if style not in STYLES:
        raise ValueError(f"config: virtual_prompt_style must be one of {STYLES} or null")
    if (style == "p-tuning") != (p_tuning is not None):
        raise ValueError("config: p_tuning is required with p-tuning and refused otherwise")
    return PromptConfig(style, _make_tasks(tasks),
                        _make_p_tuning(p_tuning) if p_tuning is not None else None,
                        _make_lora(lora) if lora is not None else None)


# ----------------------------------------------------------------------------------------------
# Parameters

def _uses_encoder(pc, task):
    """P-tuning encodes the trained tasks; an existing task is frozen, and its table (the encoder
    output the trainer wrote into its checkpoint) is all that is left of it."""
    return pc.style == "p-tuning" and task.trained


def _encoder_shapes(pc, task, hidden):
    pre, n = f"prompt_encoder.{task.name}.", task.total_virtual_tokens
    E, L = pc.p_tuning.encoder_hidden, pc.p_tuning.num_layers
    shapes = {pre + "embedding.weight": (n, hidden)}
    if pc.p_tuning.encoder_type == "mlp":
        dims = [hidden] + [E] * (L - 1) + [hidden]
        for i in range(L):
            shapes[f"{pre}mlp.{i}.weight"] = (dims[i + 1], dims[i])
            shapes[f"{pre}mlp.{i}.bias"] = (dims[i + 1],)
        return shapes
    for i in range(L):
        shapes[f"{pre}lstm.{i}.weight_ih"] = (2, 4 * E, hidden if i == 0 else 2 * E)
        shapes[f"{pre}lstm.{i}.weight_hh"] = (2, 4 * E, E)
        shapes[f"{pre}lstm.{i}.bias"] = (2, 4 * E)
    shapes.update({pre + "mlp_head.0.weight": (2 * E, 2 * E), pre + "mlp_head.0.bias": (2 * E,),
                   pre + "mlp_head.1.weight": (hidden, 2 * E), pre + "mlp_head.1.bias": (hidden,)})
    return shapes


def _gated(cfg):
    return cfg.activation in ("swiglu", "fast-swiglu")


def _lora_shapes(cfg, i):
    r, H, D, F_ = cfg.prompt.lora.adapter_dim, cfg.hidden, cfg.head_dim, cfg.ffn
    targets = cfg.prompt.lora.targets
    att, mlp = f"layers.{i}.attention.", f"layers.{i}.mlp."
    shapes = {}
    if "attention_qkv" in targets:
        shapes[att + "lora_qkv.linear_in.weight"] = (r, H)
        for part, n in (("query", cfg.heads), ("key", cfg.query_groups),
                        ("value", cfg.query_groups)):
            shapes[f"{att}lora_qkv.linear_out.{part}.weight"] = (n, D, r)
    if "attention_dense" in targets:
        shapes[att + "lora_dense.linear_in.weight"] = (r, cfg.heads, D)
        shapes[att + "lora_dense.linear_out.weight"] = (H, r)
    if "mlp_fc1" in targets:
        shapes[mlp + "lora_fc1.linear_in.weight"] = (r, H)
        for part in (("gate", "up") if _gated(cfg) else (None,)):
            shapes[mlp + "lora_fc1.linear_out" + (f".{part}" if part else "") + ".weight"] = (F_, r)
    if "mlp_fc2" in targets:
        shapes[mlp + "lora_fc2.linear_in.weight"] = (r, F_)
        shapes[mlp + "lora_fc2.linear_out.weight"] = (H, r)
    return shapes


def adapter_shapes(cfg):
    """{name: shape} of the prompt-learning parameters: tasks in order, then LoRA by layer."""
    pc = cfg.prompt
    shapes = {}
    if pc is None:
        return shapes
    for task in pc.tasks:
        if _uses_encoder(pc, task):
            shapes.update(_encoder_shapes(pc, task, cfg.hidden))
        else:
            shapes[f"prompt_table.{task.name}.weight"] = (task.total_virtual_tokens, cfg.hidden)
    if pc.lora is not None:
        for i in range(cfg.num_layers):
            shapes.update(_lora_shapes(cfg, i))
    return shapes


def _task_of(pc, name):
    """The task a parameter belongs to (None for LoRA)."""
    for prefix in ("prompt_table.", "prompt_encoder."):
        if name.startswith(prefix):
            return pc.task(name[len(prefix):].split(".", 1)[0])
    return None


def is_trainable(cfg, name):
    """Without prompt learning every parameter trains. With it the base is frozen: only the
    adapters train, and of the tasks only the trained (new) ones."""
    pc = cfg.prompt
    if pc is None:
        return True
    if name not in adapter_shapes(cfg):
        return False
    task = _task_of(pc, name)
    return task is None or task.trained


def _initially_zero(name):
    """Biases and LoRA's linear_out start at zero (an untrained adapter changes nothing)."""
    return name.endswith(".bias") or ".linear_out." in name


def init_adapters(cfg, seed, std=0.02):
    """numpy float32 init of the adapters: N(0, std) tables, embeddings and encoder weights, zero
    biases; LoRA linear_in N(0, sqrt(2 / (in + r))) (NeMo's xavier normal), linear_out zeros.
    They draw from their own stream (seed, 1), so adding adapters leaves the base init as it was."""
    rng = np.random.default_rng([seed, 1])
    out = {}
    for name, shape in adapter_shapes(cfg).items():
        if _initially_zero(name):
            out[name] = np.zeros(shape, np.float32)
        elif ".linear_in." in name:
            fan_in = int(np.prod(shape[1:]))
            out[name] = rng.normal(0.0, math.sqrt(2.0 / (fan_in + shape[0])), shape).astype(np.float32)
        else:
            out[name] = rng.normal(0.0, std, shape).astype(np.float32)
    return out


def randomize_adapters(cfg, arrays, seed, std=0.02):
    """A copy of `arrays` whose adapter biases and LoRA linear_out are N(0, std) instead of zero:
    at the init a LoRA's linear_in has a zero gradient and a zero bias hides a backward that
    forgets it, so gradient comparisons start from here. Stream (seed, 2)."""
    rng = np.random.default_rng([seed, 2])
    out = dict(arrays)
    for name, shape in adapter_shapes(cfg).items():
        if _initially_zero(name):
            out[name] = rng.normal(0.0, std, shape).astype(arrays[name].dtype)
    return out


# ----------------------------------------------------------------------------------------------
# Prompt encoders

def linear(x, weight, bias=None):
    """nn.Linear: x W^T + b, weight [out, in]."""
    y = x @ weight.t()
    return y if bias is None else y + bias


def mlp_encoder(p, pre, x, num_layers):
    """NeMo's PromptEncoder MLP: Linear, ReLU, ..., Linear (no ReLU after the last)."""
    for i in range(num_layers):
        x = linear(x, p[f"{pre}mlp.{i}.weight"], p[f"{pre}mlp.{i}.bias"])
        if i + 1 < num_layers:
            x = torch.relu(x)
    return x


def lstm_direction(x, w_ih, w_hh, bias, reverse):
    """One direction of one LSTM layer over x [n, in] from zero state, PyTorch's equations and
    gate order (i, f, g, o in blocks of E rows):
      gates = W_ih x_t + W_hh h_{t-1} + b;  c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
    with sigmoid i, f, o and tanh g. The reverse direction runs t = n-1 .. 0. Returns [n, E]."""
    E = w_hh.shape[1]
    h, c = x.new_zeros(E), x.new_zeros(E)
    inputs = linear(x, w_ih, bias)
    out = [None] * x.shape[0]
    for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
        i, f, g, o = (inputs[t] + w_hh @ h).split(E)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out[t] = h
    return torch.stack(out)


def lstm_layers(p, pre, x, num_layers):
    """A bidirectional multi-layer LSTM over x [n, in] (batch 1, the n virtual tokens as the
    sequence): each layer's output, [n, 2E], is [forward | backward] per token and is the next
    layer's input; torch.nn.LSTM(bidirectional=True)'s output."""
    for i in range(num_layers):
        w_ih, w_hh, b = (p[f"{pre}lstm.{i}.{k}"] for k in ("weight_ih", "weight_hh", "bias"))
        x = torch.cat([lstm_direction(x, w_ih[d], w_hh[d], b[d], reverse=d == 1)
                       for d in (0, 1)], dim=-1)
    return x


def lstm_encoder(p, pre, x, num_layers):
    """NeMo's PromptEncoder LSTM: the bidirectional LSTM, then the MLP head (2E -> 2E, ReLU,
    2E -> hidden)."""
    x = torch.relu(linear(lstm_layers(p, pre, x, num_layers), p[pre + "mlp_head.0.weight"],
                          p[pre + "mlp_head.0.bias"]))
    return linear(x, p[pre + "mlp_head.1.weight"], p[pre + "mlp_head.1.bias"])


def torch_lstm(p, pre, num_layers):
    """torch.nn.LSTM (bidirectional, batch_first) holding the task's weights: weight_ih[d] is
    weight_ih_l{i}{_reverse}, bias[d] is bias_ih (bias_hh is zero). A second path for the
    self-tests, and the statement of how Strata's layout maps to PyTorch's."""
    w = p[pre + "lstm.0.weight_hh"]
    E, hidden = w.shape[2], p[pre + "lstm.0.weight_ih"].shape[2]
    lstm = torch.nn.LSTM(hidden, E, num_layers, bidirectional=True, batch_first=True,
                         dtype=w.dtype)
    with torch.no_grad():
        for i in range(num_layers):
            for d, suffix in ((0, ""), (1, "_reverse")):
                getattr(lstm, f"weight_ih_l{i}{suffix}").copy_(p[f"{pre}lstm.{i}.weight_ih"][d])
                getattr(lstm, f"weight_hh_l{i}{suffix}").copy_(p[f"{pre}lstm.{i}.weight_hh"][d])
                getattr(lstm, f"bias_ih_l{i}{suffix}").copy_(p[f"{pre}lstm.{i}.bias"][d])
                getattr(lstm, f"bias_hh_l{i}{suffix}").zero_()
    return lstm


def virtual_tables(cfg, p):
    """{task: [n, hidden]}: the table a task's virtual tokens read (the parameter, or the
    encoder's output computed from the embedding parameter)."""
    pc = cfg.prompt
    tables = {}
    for task in pc.tasks:
        if not _uses_encoder(pc, task):
            tables[task.name] = p[f"prompt_table.{task.name}.weight"]
            continue
        pre = f"prompt_encoder.{task.name}."
        encode = mlp_encoder if pc.p_tuning.encoder_type == "mlp" else lstm_encoder
        tables[task.name] = encode(p, pre, p[pre + "embedding.weight"], pc.p_tuning.num_layers)
    return tables


# ----------------------------------------------------------------------------------------------
# The model's hooks

def check_virtual_tokens(cfg, virtual_tokens):
    """-1 (a real token) or a global virtual row in [0, total); anything else is an error."""
    vt = torch.as_tensor(virtual_tokens)
    total = cfg.prompt.total_virtual_tokens if cfg.prompt is not None else 0
    bad = (vt != -1) & ((vt < 0) | (vt >= total))
    if bool(bad.any()):
        raise ValueError(f"virtual_tokens: {int(vt[bad][0])} is neither -1 nor a virtual row in "
                         f"[0, {total})")


def insert_virtual_tokens(cfg, p, h, virtual_tokens):
    """tfm.insert_virtual_tokens once per task: the rows of h [batch, seq, hidden] whose virtual
    row is in the task's [o, o + n) become table[row - o]. Every table is in the graph even when
    no row uses it, so each trainable adapter has a (zero) gradient."""
    check_virtual_tokens(cfg, virtual_tokens)
    tables = virtual_tables(cfg, p)
    for name, offset in cfg.prompt.offsets().items():
        table = tables[name]
        local = virtual_tokens - offset
        hit = (local >= 0) & (local < table.shape[0])
        h = torch.where(hit[..., None], table[local.clamp(0, table.shape[0] - 1)], h)
    return h


def _targets(cfg, target):
    return cfg.prompt is not None and cfg.prompt.lora is not None and target in cfg.prompt.lora.targets


def _low_rank(p, name, x):
    """x A^T with A = linear_in flattened to [r, in]."""
    a = p[name]
    return x @ a.reshape(a.shape[0], -1).t()


def _up(cfg, p, name, z):
    """(alpha / r) z B^T with B = linear_out flattened to [out, r] (heads outermost)."""
    b = p[name]
    return cfg.prompt.lora.scale * (z @ b.reshape(-1, b.shape[-1]).t())


def lora_qkv(cfg, p, i, x):
    """The updates of q, k, v [.., heads*head_dim | groups*head_dim] from the projections'
    input x (one shared linear_in); None when the layer has no attention_qkv adapter."""
    if not _targets(cfg, "attention_qkv"):
        return None
    pre = f"layers.{i}.attention.lora_qkv."
    z = _low_rank(p, pre + "linear_in.weight", x)
    return tuple(_up(cfg, p, f"{pre}linear_out.{part}.weight", z)
                 for part in ("query", "key", "value"))


def lora_dense(cfg, p, i, a):
    """The update of the attention output projection from its input a [.., heads*head_dim]."""
    if not _targets(cfg, "attention_dense"):
        return None
    pre = f"layers.{i}.attention.lora_dense."
    return _up(cfg, p, pre + "linear_out.weight", _low_rank(p, pre + "linear_in.weight", a))


def lora_fc1(cfg, p, i, x):
    """The update of fc1 (GELU: one tensor) or of gate and up (SwiGLU: a pair), before the
    activation; None without an mlp_fc1 adapter."""
    if not _targets(cfg, "mlp_fc1"):
        return None
    pre = f"layers.{i}.mlp.lora_fc1."
    z = _low_rank(p, pre + "linear_in.weight", x)
    if _gated(cfg):
        return tuple(_up(cfg, p, f"{pre}linear_out.{part}.weight", z) for part in ("gate", "up"))
    return _up(cfg, p, pre + "linear_out.weight", z)


def lora_fc2(cfg, p, i, x):
    """The update of fc2 from its input x [.., ffn]."""
    if not _targets(cfg, "mlp_fc2"):
        return None
    pre = f"layers.{i}.mlp.lora_fc2."
    return _up(cfg, p, pre + "linear_out.weight", _low_rank(p, pre + "linear_in.weight", x))


def add(y, delta):
    return y if delta is None else y + delta


# ----------------------------------------------------------------------------------------------
# Loss

def masked_cross_entropy(logits, labels):
    """tfm.cross_entropy mean with ignored labels: the mean over positions whose label is not
    -1, 0 when there is none (still a function of the logits, so backward gives zeros)."""
    labels = torch.as_tensor(labels, dtype=torch.int64)
    flat_logits, flat_labels = logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)
    bad = (flat_labels != -1) & ((flat_labels < 0) | (flat_labels >= logits.shape[-1]))
    if bool(bad.any()):
        raise ValueError(f"labels: {int(flat_labels[bad][0])} is neither -1 nor in "
                         f"[0, {logits.shape[-1]})")
    if not bool((flat_labels != -1).any()):
        return flat_logits.sum() * 0.0
    return F.cross_entropy(flat_logits, flat_labels, ignore_index=-1)
