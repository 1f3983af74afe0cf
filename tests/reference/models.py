"""GPT-2 and Llama in plain PyTorch, written from the published definitions.

GPT-2 follows OpenAI's gpt-2 `src/model.py` and Hugging Face's `modeling_gpt2.py`
(GPT2LMHeadModel); Llama follows Hugging Face's `modeling_llama.py` (LlamaForCausalLM). The model
is a function of a dict of parameter tensors named exactly as the Hugging Face checkpoints name
them (GPT-2 without the `transformer.` prefix), so checkpoints, gradients and optimizer updates
all key on those names. Dropout is 0 everywhere.

The vocabulary `vocab` is the padded one (the rows of the embedding); logits and the softmax of
the loss run over all rows, as Megatron does. The loss is the mean next-token cross-entropy over
every position (no ignore index).
"""

import math
from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F

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
    bias: bool = None           # gpt2: linear and LayerNorm biases (default true); llama: false
    tie_embeddings: bool = None  # lm_head is wte / embed_tokens; default true for gpt2, false for llama

    @property
    def head_dim(self):
        return self.hidden // self.heads


def make_config(d):
    """Builds and checks a Config from a flat dict (the config.json of README.md)."""
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"config: unknown keys {unknown}; known: {sorted(known)}")
    missing = [k for k in ("family", "num_layers", "hidden", "heads", "vocab") if k not in d]
    if missing:
        raise ValueError(f"config: missing keys {missing}")
    d = dict(d)
    family = d["family"]
    if family == "gpt2":
        d.setdefault("ffn", 4 * d["hidden"])
        d.setdefault("query_groups", d["heads"])
        d.setdefault("activation", "gelu_new")
        d.setdefault("bias", True)
        d.setdefault("tie_embeddings", True)
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
    return cfg


# ----------------------------------------------------------------------------------------------
# Parameters

def param_shapes(cfg):
    """{Hugging Face name: shape}, in checkpoint order."""
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
    """Deterministic numpy float32 init: normal(0, std) matrices, zero biases, unit norm weights."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in param_shapes(cfg).items():
        if is_norm_weight(name):
            params[name] = np.ones(shape, np.float32)
        elif name.endswith(".bias"):
            params[name] = np.zeros(shape, np.float32)
        else:
            params[name] = rng.normal(0.0, std, shape).astype(np.float32)
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
    """Checks names and shapes of {name: np.ndarray}; returns leaf tensors requiring grad."""
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
        params[name] = torch.tensor(np.asarray(array), dtype=dtype, requires_grad=True)
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


def layer_norm(p, name, x, eps):
    return F.layer_norm(x, x.shape[-1:], p[name + ".weight"], p.get(name + ".bias"), eps)


def gpt2_qkv(cfg, p, i, x):
    """q, k, v of layer i as [batch, heads, seq, head_dim] from the fused c_attn."""
    q, k, v = conv1d(p, f"h.{i}.attn.c_attn", x).split(cfg.hidden, dim=-1)
    return tuple(split_heads(t, cfg.heads) for t in (q, k, v))


def gpt2_forward(cfg, p, tokens):
    T = tokens.shape[1]
    if T > cfg.max_positions:
        raise ValueError(f"sequence length {T} exceeds max_positions {cfg.max_positions}")
    h = p["wte.weight"][tokens] + p["wpe.weight"][torch.arange(T)]
    for i in range(cfg.num_layers):
        a = layer_norm(p, f"h.{i}.ln_1", h, cfg.eps)
        a = merge_heads(causal_attention(*gpt2_qkv(cfg, p, i, a)))
        h = h + conv1d(p, f"h.{i}.attn.c_proj", a)
        m = layer_norm(p, f"h.{i}.ln_2", h, cfg.eps)
        m = gelu(conv1d(p, f"h.{i}.mlp.c_fc", m), cfg.activation)
        h = h + conv1d(p, f"h.{i}.mlp.c_proj", m)
    h = layer_norm(p, "ln_f", h, cfg.eps)
    return h @ p["wte.weight" if cfg.tie_embeddings else "lm_head.weight"].t()


# ----------------------------------------------------------------------------------------------
# Llama

def rms_norm(x, weight, eps):
    """HF LlamaRMSNorm: computed in (at least) float32, cast back, then scaled."""
    xf = x.to(torch.promote_types(x.dtype, torch.float32))
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return weight * xf.to(x.dtype)


def rope_cos_sin(positions, head_dim, base, dtype):
    """cos, sin [seq, head_dim] of HF's LlamaRotaryEmbedding (angles computed in float64)."""
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    freqs = torch.outer(positions.to(torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x, cos, sin):
    return x * cos + rotate_half(x) * sin


def repeat_kv(x, n_rep):
    """[batch, groups, seq, d] -> [batch, groups * n_rep, seq, d]; head h reads group h // n_rep."""
    B, G, T, D = x.shape
    return x[:, :, None].expand(B, G, n_rep, T, D).reshape(B, G * n_rep, T, D)


def llama_forward(cfg, p, tokens):
    T = tokens.shape[1]
    linear = lambda name, x: x @ p[name + ".weight"].t()  # nn.Linear, weight [out, in]
    cos, sin = rope_cos_sin(torch.arange(T), cfg.head_dim, cfg.rope_base, p["model.norm.weight"].dtype)
    h = p["model.embed_tokens.weight"][tokens]
    for i in range(cfg.num_layers):
        pre = f"model.layers.{i}."
        a = rms_norm(h, p[pre + "input_layernorm.weight"], cfg.eps)
        q = split_heads(linear(pre + "self_attn.q_proj", a), cfg.heads)
        k = split_heads(linear(pre + "self_attn.k_proj", a), cfg.query_groups)
        v = split_heads(linear(pre + "self_attn.v_proj", a), cfg.query_groups)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        n_rep = cfg.heads // cfg.query_groups
        a = merge_heads(causal_attention(q, repeat_kv(k, n_rep), repeat_kv(v, n_rep)))
        h = h + linear(pre + "self_attn.o_proj", a)
        m = rms_norm(h, p[pre + "post_attention_layernorm.weight"], cfg.eps)
        m = F.silu(linear(pre + "mlp.gate_proj", m)) * linear(pre + "mlp.up_proj", m)
        h = h + linear(pre + "mlp.down_proj", m)
    h = rms_norm(h, p["model.norm.weight"], cfg.eps)
    return h @ p["model.embed_tokens.weight" if cfg.tie_embeddings else "lm_head.weight"].t()


# ----------------------------------------------------------------------------------------------
# Eval, gradients, training

def forward(cfg, params, tokens):
    """Logits [batch, seq, vocab] of tokens [batch, seq] (int64)."""
    return (gpt2_forward if cfg.family == "gpt2" else llama_forward)(cfg, params, tokens)


def evaluate(cfg, params, tokens):
    """tokens [batch, seq + 1]: inputs tokens[:, :-1], targets tokens[:, 1:] -> (logits, loss)."""
    tokens = torch.as_tensor(tokens, dtype=torch.int64)
    logits = forward(cfg, params, tokens[:, :-1])
    return logits, loss_from_logits(logits, tokens[:, 1:])


def loss_and_grads(cfg, params, tokens):
    """(loss, {name: gradient}) for every parameter; a tied embedding gets the sum of both uses."""
    for t in params.values():
        t.grad = None
    _, loss = evaluate(cfg, params, tokens)
    loss.backward()
    return loss.detach(), {n: t.grad.detach().clone() for n, t in params.items()}


def make_adamw(params, lr, weight_decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
    """torch AdamW with Megatron's grouping: decay for tensors of rank >= 2 (matrices and
    embeddings), none for biases and norm weights."""
    decay = [t for t in params.values() if t.dim() >= 2]
    no_decay = [t for t in params.values() if t.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(beta1, beta2), eps=eps)


def train(cfg, params, tokens, steps, lr, weight_decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8,
          clip_grad=0.0):
    """`steps` AdamW steps in place; step i uses rows [i*batch, (i+1)*batch) of tokens
    [steps*batch, seq+1]. Returns the loss of each step (before its update)."""
    tokens = torch.as_tensor(tokens, dtype=torch.int64)
    if tokens.shape[0] % steps:
        raise ValueError(f"tokens have {tokens.shape[0]} rows, not a multiple of steps={steps}")
    batch = tokens.shape[0] // steps
    opt = make_adamw(params, lr, weight_decay, beta1, beta2, eps)
    losses = []
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        _, loss = evaluate(cfg, params, tokens[step * batch:(step + 1) * batch])
        loss.backward()
        if clip_grad > 0:
            torch.nn.utils.clip_grad_norm_(list(params.values()), clip_grad)
        opt.step()
        losses.append(loss.item())
    return losses
