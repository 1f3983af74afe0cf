"""GPT-2 and Llama in plain PyTorch, written from the published definitions.

GPT-2 follows OpenAI's gpt-2 `src/model.py` and Hugging Face's `modeling_gpt2.py`
(GPT2LMHeadModel); Llama follows Hugging Face's `modeling_llama.py` (LlamaForCausalLM). The model
is a function of a dict of parameter tensors named exactly as the Hugging Face checkpoints name
them (GPT-2 without the `transformer.` prefix), so checkpoints, gradients and optimizer updates
all key on those names. Dropout is 0 everywhere.

The vocabulary `vocab` is the rows of the embedding; logits and the softmax of the loss run over
all rows, as Megatron does. Strata instead leaves a padded vocabulary's padding rows out of the
softmax (docs/model-description.md, "Vocabulary"), so a padded Strata model is compared with a
reference of its real vocabulary (tests/e2e/vocab_padding.py); the unpadded models are the same. The loss is the mean next-token cross-entropy over
every position; a Batch with explicit labels ignores those that are -1.

Prompt learning (prompt tuning, p-tuning, LoRA; docs/prompt-learning.md) lives in
prompt_learning.py: its config keys, parameters (Strata's names) and the hooks called here at the
embedding and at each projection. With it the base is frozen.
"""

import math
from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F

import prompt_learning as pl

TANH_GELUS = ("gelu_new", "gelu_tanh", "fast-gelu", "openai-gelu", "approx-gelu")
ERF_GELUS = ("gelu",)


@dataclass(frozen=True)
class Config:
    family: str                 # "gpt2" | "llama"
    num_layers: int
    hidden: int
    heads: int
    vocab: int                  # padded vocabulary: rows of the embedding
    ffn: int = None             # MLP inner width; gpt2 default 4 * hidden, required for llama
    query_groups: int = None    # key/value heads (llama); default heads; gpt2: must equal heads
    max_positions: int = None   # rows of GPT-2's position table; required for gpt2
    eps: float = 1e-5           # LayerNorm / RMSNorm epsilon
    rope_base: float = 10000.0  # llama only
    activation: str = None      # gpt2: "gelu" (erf) or "gelu_new" (tanh, default); llama: "swiglu"
    normalization: str = None   # gpt2: "layernorm" (default) or "layernorm1p"; llama: "rmsnorm"
    rotary_percentage: float = 1.0  # llama: the fraction of each head RoPE rotates (NeoX, Megatron)
    bias: bool = None           # gpt2: linear and LayerNorm biases (default true); llama: false
    tie_embeddings: bool = None  # lm_head is wte / embed_tokens; default true for gpt2, false for llama
    prompt: pl.PromptConfig = None  # prompt learning (the keys pl.KEYS); None: a plain model

    @property
    def head_dim(self):
        return self.hidden // self.heads

    @property
    def rotary_dim(self):
        """The channels of each head RoPE rotates: int(head_dim * rotary_percentage), as
        Megatron's RotaryEmbedding(kv_channels, rotary_percent)."""
        return int(self.head_dim * self.rotary_percentage)


def make_config(d):
    """Builds and checks a Config from a flat dict (the config.json of README.md)."""
    known = ({f.name for f in fields(Config)} - {"prompt"}) | set(pl.KEYS)
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"config: unknown keys {unknown}; known: {sorted(known)}")
    missing = [k for k in ("family", "num_layers", "hidden", "heads", "vocab") if k not in d]
    if missing:
        raise ValueError(f"config: missing keys {missing}")
    prompt = pl.make_prompt_config({k: v for k, v in d.items() if k in pl.KEYS})
    d = {k: v for k, v in d.items() if k not in pl.KEYS}
    d["prompt"] = prompt
    family = d["family"]
    if family == "gpt2":
        d.setdefault("ffn", 4 * d["hidden"])
        d.setdefault("query_groups", d["heads"])
        d.setdefault("activation", "gelu_new")
        d.setdefault("bias", True)
        d.setdefault("tie_embeddings", True)
        d.setdefault("normalization", "layernorm")
        if d["normalization"] not in ("layernorm", "layernorm1p"):
            raise ValueError("config: gpt2 normalization must be layernorm or layernorm1p")
        if d.get("rotary_percentage", 1.0) != 1.0:
            raise ValueError("config: gpt2 has no rotary embeddings (rotary_percentage must be 1)")
        if d["query_groups"] != d["heads"]:
            raise ValueError("config: gpt2 is multi-head attention only (query_groups == heads)")
        if d["activation"] not in TANH_GELUS + ERF_GELUS:
            raise ValueError(f"config: gpt2 activation must be one of {ERF_GELUS + TANH_GELUS}")
        if d.get("max_positions") is None:
            raise ValueError("config: gpt2 needs max_positions")
    elif family == "llama":
        d.setdefault("query_groups", d["heads"])
        d.setdefault("activation", "swiglu")
        d.setdefault("bias", False)
        d.setdefault("tie_embeddings", False)
        d.setdefault("normalization", "rmsnorm")
        if d["normalization"] != "rmsnorm":
            raise ValueError("config: llama normalization must be rmsnorm")
        if d.get("ffn") is None:
            raise ValueError("config: llama needs ffn")
        if d["activation"] not in ("swiglu", "fast-swiglu"):
            raise ValueError("config: llama activation must be swiglu")
        if d["bias"]:
            raise ValueError("config: llama has no biases (bias must be false)")
    else:
        raise ValueError(f"config: family must be gpt2 or llama, not {family!r}")
    cfg = Config(**d)
    for k in ("num_layers", "hidden", "heads", "vocab", "ffn", "query_groups"):
        if not isinstance(getattr(cfg, k), int) or getattr(cfg, k) <= 0:
            raise ValueError(f"config: {k} must be a positive integer")
    if cfg.hidden % cfg.heads or cfg.heads % cfg.query_groups:
        raise ValueError("config: heads must divide hidden and query_groups must divide heads")
    if family == "llama" and cfg.head_dim % 2:
        raise ValueError("config: rotary embeddings need an even head size")
    if family == "llama" and (not 0 < cfg.rotary_percentage <= 1 or cfg.rotary_dim < 2
                              or cfg.rotary_dim % 2):
        raise ValueError(f"config: rotary_percentage {cfg.rotary_percentage} of head size "
                         f"{cfg.head_dim} must rotate an even number (>= 2) of channels")
    return cfg


# ----------------------------------------------------------------------------------------------
# Parameters

def param_shapes(cfg):
    """{name: shape}, in checkpoint order: the base's Hugging Face names, then the
    prompt-learning adapters' (Strata's names, prompt_learning.py)."""
    shapes = base_param_shapes(cfg)
    shapes.update(pl.adapter_shapes(cfg))
    return shapes


def base_param_shapes(cfg):
    """{Hugging Face name: shape} of the base model, in checkpoint order."""
    H, F_, V = cfg.hidden, cfg.ffn, cfg.vocab
    shapes = {}
    if cfg.family == "gpt2":
        shapes["wte.weight"] = (V, H)
        shapes["wpe.weight"] = (cfg.max_positions, H)
        # Conv1D weights are [in, out]; c_attn's output columns are q | k | v.
        layer = {"ln_1.weight": (H,), "ln_1.bias": (H,),
                 "attn.c_attn.weight": (H, 3 * H), "attn.c_attn.bias": (3 * H,),
                 "attn.c_proj.weight": (H, H), "attn.c_proj.bias": (H,),
                 "ln_2.weight": (H,), "ln_2.bias": (H,),
                 "mlp.c_fc.weight": (H, F_), "mlp.c_fc.bias": (F_,),
                 "mlp.c_proj.weight": (F_, H), "mlp.c_proj.bias": (H,)}
        for i in range(cfg.num_layers):
            for k, s in layer.items():
                if cfg.bias or not k.endswith(".bias"):
                    shapes[f"h.{i}.{k}"] = s
        shapes["ln_f.weight"] = (H,)
        if cfg.bias:
            shapes["ln_f.bias"] = (H,)
        if not cfg.tie_embeddings:
            shapes["lm_head.weight"] = (V, H)
    else:
        D, Q, G = cfg.head_dim, cfg.heads, cfg.query_groups
        shapes["model.embed_tokens.weight"] = (V, H)
        # nn.Linear weights are [out, in]; rows of q_proj are head-major: head h is rows h*D..h*D+D.
        layer = {"input_layernorm.weight": (H,),
                 "self_attn.q_proj.weight": (Q * D, H), "self_attn.k_proj.weight": (G * D, H),
                 "self_attn.v_proj.weight": (G * D, H), "self_attn.o_proj.weight": (H, Q * D),
                 "post_attention_layernorm.weight": (H,),
                 "mlp.gate_proj.weight": (F_, H), "mlp.up_proj.weight": (F_, H),
                 "mlp.down_proj.weight": (H, F_)}
        for i in range(cfg.num_layers):
            for k, s in layer.items():
                shapes[f"model.layers.{i}.{k}"] = s
        shapes["model.norm.weight"] = (H,)
        if not cfg.tie_embeddings:
            shapes["lm_head.weight"] = (V, H)
    return shapes


def is_norm_weight(name):
    return name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight", "layernorm.weight",
                          "norm.weight"))


def init_params(cfg, seed, std=0.02):
    """Deterministic numpy float32 init: normal(0, std) matrices, zero biases, unit norm weights;
    the adapters as prompt_learning.init_adapters says (a stream of their own)."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in base_param_shapes(cfg).items():
        if is_norm_weight(name):
            # layernorm1p stores w - 1: zero at init.
            fill = np.zeros if cfg.normalization == "layernorm1p" else np.ones
            params[name] = fill(shape, np.float32)
        elif name.endswith(".bias"):
            params[name] = np.zeros(shape, np.float32)
        else:
            params[name] = rng.normal(0.0, std, shape).astype(np.float32)
    params.update(pl.init_adapters(cfg, seed, std))
    return params


def _normalize_name(cfg, name):
    """Maps the usual variants of Hugging Face checkpoint names to ours; None: not a parameter."""
    if cfg.family == "gpt2":
        if name.startswith("transformer."):
            name = name[len("transformer."):]
        if name.endswith((".attn.bias", ".attn.masked_bias")):  # causal-mask buffers
            return None
        if name == "lm_head.weight" and cfg.tie_embeddings:  # the tied copy
            return None
    elif name.endswith(".rotary_emb.inv_freq"):  # a buffer in older Llama checkpoints
        return None
    return name


def params_from_arrays(cfg, arrays, dtype=torch.float32):
    """Checks names and shapes of {name: np.ndarray}; returns leaf tensors, requiring grad where
    the parameter trains (all of them but a frozen base's and frozen tasks')."""
    shapes = param_shapes(cfg)
    params = {}
    for raw, array in arrays.items():
        name = _normalize_name(cfg, raw)
        if name is None:
            continue
        if name not in shapes:
            raise ValueError(f"checkpoint: unexpected tensor '{raw}'")
        if tuple(array.shape) != shapes[name]:
            raise ValueError(f"checkpoint: '{raw}' has shape {list(array.shape)}, expected "
                             f"{list(shapes[name])}")
        params[name] = torch.tensor(np.asarray(array), dtype=dtype,
                                    requires_grad=pl.is_trainable(cfg, name))
    missing = [n for n in shapes if n not in params]
    if missing:
        raise ValueError(f"checkpoint: missing tensors {missing}")
    return {n: params[n] for n in shapes}


# ----------------------------------------------------------------------------------------------
# Shared pieces

def causal_attention(q, k, v):
    """softmax(q k^T / sqrt(head_dim), causal) v on [batch, heads, seq, head_dim]."""
    T, D = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(D)
    allowed = torch.ones(T, T, dtype=torch.bool).tril()
    scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def split_heads(x, n):
    """[batch, seq, n * d] -> [batch, n, seq, d] (heads outermost in the feature dimension)."""
    B, T, _ = x.shape
    return x.view(B, T, n, -1).transpose(1, 2)


def merge_heads(x):
    B, N, T, D = x.shape
    return x.transpose(1, 2).reshape(B, T, N * D)


def loss_from_logits(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def embed_virtual_tokens(cfg, p, h, virtual_tokens):
    """The embeddings h [batch, seq, hidden] with the virtual positions replaced by their task's
    table rows (after the word and position embeddings, as docs/prompt-learning.md places
    tfm.insert_virtual_tokens). A virtual prompt style needs the virtual_tokens input; a model
    without one accepts only -1 there."""
    style = cfg.prompt.style if cfg.prompt is not None else None
    if virtual_tokens is None:
        if style is not None:
            raise ValueError(f"{style} needs the virtual_tokens input")
        return h
    virtual_tokens = torch.as_tensor(virtual_tokens, dtype=torch.int64)
    if tuple(virtual_tokens.shape) != tuple(h.shape[:2]):
        raise ValueError(f"virtual_tokens {list(virtual_tokens.shape)} do not match the tokens "
                         f"{list(h.shape[:2])}")
    if style is None:
        pl.check_virtual_tokens(cfg, virtual_tokens)
        return h
    return pl.insert_virtual_tokens(cfg, p, h, virtual_tokens)


# ----------------------------------------------------------------------------------------------
# GPT-2

def gelu(x, activation):
    if activation in TANH_GELUS:  # HF NewGELUActivation / OpenAI gpt-2 gelu
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def conv1d(p, name, x):
    """HF Conv1D: x @ weight + bias, weight [in, out]."""
    y = x @ p[name + ".weight"]
    bias = p.get(name + ".bias")
    return y if bias is None else y + bias


def layer_norm(cfg, p, name, x):
    """torch.nn.LayerNorm; NeMo's layernorm1p (apex's apply_layernorm_1p, Megatron-core's
    layernorm_zero_centered_gamma) stores w - 1 and scales by 1 + w."""
    weight = p[name + ".weight"]
    if cfg.normalization == "layernorm1p":
        weight = weight + 1
    return F.layer_norm(x, x.shape[-1:], weight, p.get(name + ".bias"), cfg.eps)


def gpt2_qkv(cfg, p, i, x):
    """q, k, v of layer i as [batch, heads, seq, head_dim] from the fused c_attn (plus LoRA's
    updates, each in the head-major layout of its part of c_attn)."""
    qkv = conv1d(p, f"h.{i}.attn.c_attn", x).split(cfg.hidden, dim=-1)
    deltas = pl.lora_qkv(cfg, p, i, x) or (None,) * 3
    return tuple(split_heads(pl.add(t, d), cfg.heads) for t, d in zip(qkv, deltas))


def gpt2_positions(cfg, T, positions):
    """arange(T) by default; checked against the position table."""
    if positions is None:
        if T > cfg.max_positions:
            raise ValueError(f"sequence length {T} exceeds max_positions {cfg.max_positions}")
        return torch.arange(T)
    if int(positions.min()) < 0 or int(positions.max()) >= cfg.max_positions:
        raise ValueError(f"positions outside [0, max_positions = {cfg.max_positions})")
    return positions


def gpt2_forward(cfg, p, tokens, positions=None, virtual_tokens=None):
    T = tokens.shape[1]
    # As NeMo: virtual tokens replace word embeddings; positions are added after.
    h = embed_virtual_tokens(cfg, p, p["wte.weight"][tokens], virtual_tokens)
    h = h + p["wpe.weight"][gpt2_positions(cfg, T, positions)]
    for i in range(cfg.num_layers):
        a = layer_norm(cfg, p, f"h.{i}.ln_1", h)
        a = merge_heads(causal_attention(*gpt2_qkv(cfg, p, i, a)))
        h = h + pl.add(conv1d(p, f"h.{i}.attn.c_proj", a), pl.lora_dense(cfg, p, i, a))
        m = layer_norm(cfg, p, f"h.{i}.ln_2", h)
        m = gelu(pl.add(conv1d(p, f"h.{i}.mlp.c_fc", m), pl.lora_fc1(cfg, p, i, m)),
                 cfg.activation)
        h = h + pl.add(conv1d(p, f"h.{i}.mlp.c_proj", m), pl.lora_fc2(cfg, p, i, m))
    h = layer_norm(cfg, p, "ln_f", h)
    return h @ p["wte.weight" if cfg.tie_embeddings else "lm_head.weight"].t()


# ----------------------------------------------------------------------------------------------
# Llama

def rms_norm(x, weight, eps):
    """HF LlamaRMSNorm: computed in (at least) float32, cast back, then scaled."""
    xf = x.to(torch.promote_types(x.dtype, torch.float32))
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return weight * xf.to(x.dtype)


def rope_cos_sin(positions, head_dim, base, dtype):
    """cos, sin [seq, head_dim] of HF's LlamaRotaryEmbedding (angles computed in float64);
    [batch, seq, head_dim] for positions [batch, seq]."""
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    freqs = positions.to(torch.float64)[..., None] * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x, cos, sin):
    """Rotates the first cos.shape[-1] channels of each head; the rest pass through (partial
    rotary: GPT-NeoX's rotary_pct, Megatron's rotary_percent)."""
    d = cos.shape[-1]
    rotated = x[..., :d] * cos + rotate_half(x[..., :d]) * sin
    return torch.cat((rotated, x[..., d:]), dim=-1) if d < x.shape[-1] else rotated


def repeat_kv(x, n_rep):
    """[batch, groups, seq, d] -> [batch, groups * n_rep, seq, d]; head h reads group h // n_rep."""
    B, G, T, D = x.shape
    return x[:, :, None].expand(B, G, n_rep, T, D).reshape(B, G * n_rep, T, D)


def llama_forward(cfg, p, tokens, positions=None, virtual_tokens=None):
    T = tokens.shape[1]
    linear = lambda name, x: x @ p[name + ".weight"].t()  # nn.Linear, weight [out, in]
    dtype = p["model.norm.weight"].dtype
    if positions is None:
        cos, sin = rope_cos_sin(torch.arange(T), cfg.rotary_dim, cfg.rope_base, dtype)
    else:  # per row: [batch, 1, seq, rotary_dim] against [batch, heads, seq, head_dim]
        cos, sin = (t[:, None] for t in rope_cos_sin(positions, cfg.rotary_dim, cfg.rope_base,
                                                     dtype))
    h = p["model.embed_tokens.weight"][tokens]
    h = embed_virtual_tokens(cfg, p, h, virtual_tokens)
    for i in range(cfg.num_layers):
        pre = f"model.layers.{i}."
        a = rms_norm(h, p[pre + "input_layernorm.weight"], cfg.eps)
        dq, dk, dv = pl.lora_qkv(cfg, p, i, a) or (None,) * 3
        q = split_heads(pl.add(linear(pre + "self_attn.q_proj", a), dq), cfg.heads)
        k = split_heads(pl.add(linear(pre + "self_attn.k_proj", a), dk), cfg.query_groups)
        v = split_heads(pl.add(linear(pre + "self_attn.v_proj", a), dv), cfg.query_groups)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        n_rep = cfg.heads // cfg.query_groups
        a = merge_heads(causal_attention(q, repeat_kv(k, n_rep), repeat_kv(v, n_rep)))
        h = h + pl.add(linear(pre + "self_attn.o_proj", a), pl.lora_dense(cfg, p, i, a))
        m = rms_norm(h, p[pre + "post_attention_layernorm.weight"], cfg.eps)
        d_gate, d_up = pl.lora_fc1(cfg, p, i, m) or (None, None)
        m = (F.silu(pl.add(linear(pre + "mlp.gate_proj", m), d_gate))
             * pl.add(linear(pre + "mlp.up_proj", m), d_up))
        h = h + pl.add(linear(pre + "mlp.down_proj", m), pl.lora_fc2(cfg, p, i, m))
    h = rms_norm(h, p["model.norm.weight"], cfg.eps)
    return h @ p["model.embed_tokens.weight" if cfg.tie_embeddings else "lm_head.weight"].t()


# ----------------------------------------------------------------------------------------------
# Batches

@dataclass(frozen=True)
class Batch:
    """One batch of the program's inputs, each [rows, seq] int64. `positions` None: 0 .. seq-1;
    `virtual_tokens` None: no virtual tokens. With `ignore_labels` a label of -1 is ignored (the
    loss averages over the others, 0 when none); next-token batches have every label."""
    tokens: torch.Tensor
    labels: torch.Tensor
    positions: torch.Tensor = None
    virtual_tokens: torch.Tensor = None
    ignore_labels: bool = False

    def rows(self, begin, end):
        cut = lambda t: None if t is None else t[begin:end]
        return Batch(self.tokens[begin:end], self.labels[begin:end], cut(self.positions),
                     cut(self.virtual_tokens), self.ignore_labels)

    @property
    def num_rows(self):
        return self.tokens.shape[0]


def _ints(x):
    return None if x is None else torch.as_tensor(np.asarray(x), dtype=torch.int64)


def next_token_batch(tokens, positions=None, virtual_tokens=None):
    """tokens [rows, seq + 1]: inputs tokens[:, :-1], labels tokens[:, 1:] (the original
    interface); positions and virtual_tokens, if given, are [rows, seq]."""
    tokens = _ints(tokens)
    return Batch(tokens[:, :-1], tokens[:, 1:], _ints(positions), _ints(virtual_tokens))


def labeled_batch(tokens, labels, positions=None, virtual_tokens=None):
    """Prompt-learning batches: tokens, labels (-1 ignored), positions, virtual_tokens, each
    [rows, seq]."""
    batch = Batch(_ints(tokens), _ints(labels), _ints(positions), _ints(virtual_tokens), True)
    for name in ("labels", "positions", "virtual_tokens"):
        t = getattr(batch, name)
        if t is not None and t.shape != batch.tokens.shape:
            raise ValueError(f"{name} {list(t.shape)} do not match the tokens "
                             f"{list(batch.tokens.shape)}")
    return batch


def as_batch(tokens_or_batch):
    return tokens_or_batch if isinstance(tokens_or_batch, Batch) else next_token_batch(tokens_or_batch)


# ----------------------------------------------------------------------------------------------
# Eval, gradients, training

def forward(cfg, params, tokens, positions=None, virtual_tokens=None):
    """Logits [batch, seq, vocab] of tokens [batch, seq] (int64)."""
    return (gpt2_forward if cfg.family == "gpt2" else llama_forward)(
        cfg, params, tokens, positions, virtual_tokens)


def evaluate(cfg, params, tokens):
    """(logits, loss) of a Batch, or of tokens [batch, seq + 1] (inputs tokens[:, :-1], targets
    tokens[:, 1:])."""
    b = as_batch(tokens)
    logits = forward(cfg, params, b.tokens, b.positions, b.virtual_tokens)
    if b.ignore_labels:
        return logits, pl.masked_cross_entropy(logits, b.labels)
    return logits, loss_from_logits(logits, b.labels)


def trainable(params):
    """{name: tensor} of the parameters that train (require grad)."""
    return {n: t for n, t in params.items() if t.requires_grad}


def check_something_trains(params):
    """A frozen base whose tasks are all existing ones, without LoRA, has nothing to train."""
    if not trainable(params):
        raise ValueError("no parameter trains (a frozen base, only existing tasks, no LoRA)")


def loss_and_grads(cfg, params, tokens):
    """(loss, {name: gradient}) for every trainable parameter (all of them without prompt
    learning); a tied embedding gets the sum of both uses."""
    check_something_trains(params)
    for t in params.values():
        t.grad = None
    _, loss = evaluate(cfg, params, tokens)
    loss.backward()
    return loss.detach(), {n: t.grad.detach().clone() for n, t in trainable(params).items()}


def decays(name, t):
    """Megatron's and Strata's grouping: weight decay for weights of rank >= 2 (matrices,
    embeddings, tables), none for biases (an LSTM's bias [2, 4E] included) and norm weights."""
    return t.dim() >= 2 and not name.endswith(".bias")


def make_adamw(params, lr, weight_decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
    """torch AdamW over the trainable parameters, grouped by decays()."""
    params = trainable(params)
    decay = [t for n, t in params.items() if decays(n, t)]
    no_decay = [t for n, t in params.items() if not decays(n, t)]
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(beta1, beta2), eps=eps)


def train(cfg, params, tokens, steps, lr, weight_decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8,
          clip_grad=0.0):
    """`steps` AdamW steps in place on the trainable parameters; step i uses rows
    [i*batch, (i+1)*batch) of a Batch, or of tokens [steps*batch, seq+1]. Returns the loss of each
    step (before its update)."""
    data = as_batch(tokens)
    if data.num_rows % steps:
        raise ValueError(f"tokens have {data.num_rows} rows, not a multiple of steps={steps}")
    batch = data.num_rows // steps
    check_something_trains(params)
    opt = make_adamw(params, lr, weight_decay, beta1, beta2, eps)
    losses = []
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        _, loss = evaluate(cfg, params, data.rows(step * batch, (step + 1) * batch))
        loss.backward()
        if clip_grad > 0:
            torch.nn.utils.clip_grad_norm_(list(trainable(params).values()), clip_grad)
        opt.step()
        losses.append(loss.item())
    return losses
