"""The PyTorch peers of the GPU benchmarks (bench/gpu_train.py, bench/gpu_generate.py).

A nanoGPT-style GPT-2 (Karpathy's nanoGPT model.py, the usual fast PyTorch baseline): fused QKV
projection, F.scaled_dot_product_attention (flash attention on the GPU), tanh GELU, tied output
embedding; trained under bf16 autocast with fused AdamW. For decoding, a gpt-fast-style static KV
cache (preallocated keys and values, written in place at the step's positions) so that one decode
step has fixed shapes and torch.compile(mode="reduce-overhead") can capture it in a CUDA graph.

Weights load from Hugging Face GPT-2 names (tests/reference/models.py's init_params), so Strata and
the peer can run the same checkpoint. PyTorch older than 2.0 (this development machine's 1.13) has
no scaled_dot_product_attention: the attention then falls back to the explicit softmax, which is
only for the benchmarks' CPU smoke runs.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    num_layers: int
    hidden: int
    heads: int
    vocab: int
    max_positions: int
    eps: float = 1e-5

    @property
    def head_dim(self):
        return self.hidden // self.heads

    def flops_per_token(self, seq):
        """Training FLOPs per token (PaLM's estimate, as nanoGPT's estimate_mfu): 6 per weight
        (forward and backward GEMMs, position embeddings excluded) plus attention's 12*L*h*T."""
        h, L = self.hidden, self.num_layers
        weights = self.vocab * h + L * (12 * h * h + 13 * h) + 2 * h
        return 6 * weights + 12 * L * h * seq


def attention(q, k, v, causal, mask=None):
    """softmax(q k^T / sqrt(d)) v over [B, H, T, D]; |mask| (bool, True = attend) when given."""
    if hasattr(F, "scaled_dot_product_attention"):
        if mask is not None:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if mask is None and causal:
        T, S = q.shape[-2], k.shape[-2]
        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(S - T)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores.float(), dim=-1).to(v.dtype) @ v


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.ln_1 = nn.LayerNorm(c.hidden, eps=c.eps)
        self.c_attn = nn.Linear(c.hidden, 3 * c.hidden)
        self.attn_proj = nn.Linear(c.hidden, c.hidden)
        self.ln_2 = nn.LayerNorm(c.hidden, eps=c.eps)
        self.c_fc = nn.Linear(c.hidden, 4 * c.hidden)
        self.mlp_proj = nn.Linear(4 * c.hidden, c.hidden)

    def heads(self, x):
        B, T, _ = x.shape
        return x.view(B, T, self.c.heads, self.c.head_dim).transpose(1, 2)

    def qkv(self, x):
        q, k, v = self.c_attn(self.ln_1(x)).split(self.c.hidden, dim=2)
        return self.heads(q), self.heads(k), self.heads(v)

    def finish(self, x, y):
        B, _, T, _ = y.shape
        x = x + self.attn_proj(y.transpose(1, 2).reshape(B, T, self.c.hidden))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    def forward(self, x):
        q, k, v = self.qkv(x)
        return self.finish(x, attention(q, k, v, causal=True))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c.vocab, c.hidden)
        self.wpe = nn.Embedding(c.max_positions, c.hidden)
        self.h = nn.ModuleList(Block(c) for _ in range(c.num_layers))
        self.ln_f = nn.LayerNorm(c.hidden, eps=c.eps)
        for p in self.parameters():  # GPT-2's init, as nanoGPT (without the c_proj scaling)
            if p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif p.dim() == 1:
                nn.init.zeros_(p)
        for m in self.modules():
            if isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)

    def logits(self, h):
        return F.linear(self.ln_f(h), self.wte.weight)

    def forward(self, idx, targets):
        pos = torch.arange(idx.shape[1], device=idx.device)
        h = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            h = block(h)
        logits = self.logits(h)
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.reshape(-1))

    @torch.no_grad()
    def load_hugging_face(self, arrays):
        """Copies {Hugging Face GPT-2 name: numpy array} in (Conv1D weights are [in, out])."""
        def put(param, name, transpose=False):
            t = torch.as_tensor(arrays[name])
            param.copy_(t.t() if transpose else t)
        put(self.wte.weight, "wte.weight")
        put(self.wpe.weight, "wpe.weight")
        put(self.ln_f.weight, "ln_f.weight")
        put(self.ln_f.bias, "ln_f.bias")
        for i, b in enumerate(self.h):
            for ours, theirs in (("ln_1", "ln_1"), ("ln_2", "ln_2")):
                put(getattr(b, ours).weight, f"h.{i}.{theirs}.weight")
                put(getattr(b, ours).bias, f"h.{i}.{theirs}.bias")
            for ours, theirs in (("c_attn", "attn.c_attn"), ("attn_proj", "attn.c_proj"),
                                 ("c_fc", "mlp.c_fc"), ("mlp_proj", "mlp.c_proj")):
                put(getattr(b, ours).weight, f"h.{i}.{theirs}.weight", transpose=True)
                put(getattr(b, ours).bias, f"h.{i}.{theirs}.bias")


class StaticCacheDecoder(nn.Module):
    """Greedy decoding over a GPT with keys and values in preallocated [L, B, H, S, D] buffers."""

    def __init__(self, model, batch, max_length, dtype):
        super().__init__()
        c = model.c
        self.model = model
        shape = (c.num_layers, batch, c.heads, max_length, c.head_dim)
        device = model.wte.weight.device
        self.register_buffer("keys", torch.zeros(shape, dtype=dtype, device=device))
        self.register_buffer("values", torch.zeros(shape, dtype=dtype, device=device))
        self.register_buffer("positions", torch.arange(max_length, device=device))

    def forward(self, idx, pos):
        """Next-token ids after idx [B, T] at positions pos [T] (tensors: one compiled graph)."""
        m = self.model
        h = m.wte(idx) + m.wpe(pos)
        # Position pos[t] attends to cached positions <= pos[t].
        mask = self.positions[None, :] <= pos[:, None]
        for i, b in enumerate(m.h):
            q, k, v = b.qkv(h)
            self.keys[i].index_copy_(2, pos, k)
            self.values[i].index_copy_(2, pos, v)
            h = b.finish(h, attention(q, self.keys[i], self.values[i], causal=False, mask=mask))
        return m.logits(h[:, -1])[:, :50257].argmax(-1)
