# Part of Strata. SPDX-License-Identifier: Apache-2.0
#
# Builds tiny GPT-2 and Llama checkpoints in Hugging Face's own naming and
# layouts (GPT2LMHeadModel with Conv1D weights [in, out]; LlamaForCausalLM
# with nn.Linear weights [out, in]) from random tensors, and computes with
# Hugging Face's own formulas the projections the C++ test must reproduce
# from Strata's layout:
#   GPT-2 Conv1D: y = addmm(b, x, W)        (transformers pytorch_utils)
#   GPT-2 attention: q, k, v = c_attn(x).split(H, dim=-1), heads = view
#   Llama nn.Linear: y = x @ W.T (+ b)
# Everything expected is float64, computed from the float32 weights.
#
# Usage: make_hf_checkpoints.py OUTDIR
import os
import sys

import torch

import st_writer

out = sys.argv[1]
T = 3  # tokens in the probe inputs


def save(tensors, name, metadata=None):
    st_writer.save(tensors, os.path.join(out, name), metadata)


def cast(tensors, dtype, skip=()):
    return {k: (v if k in skip or not v.is_floating_point() else v.to(dtype))
            for k, v in tensors.items()}


# ---------------------------------------------------------------- GPT-2 ----
torch.manual_seed(0)
L, H, HEADS, F, V, P = 2, 8, 2, 32, 50, 16
sd = {}
p = "transformer."
sd[p + "wte.weight"] = torch.randn(V, H)
sd[p + "wpe.weight"] = torch.randn(P, H)
for n in range(L):
    h = p + "h.%d." % n
    sd[h + "ln_1.weight"] = torch.randn(H)
    sd[h + "ln_1.bias"] = torch.randn(H)
    sd[h + "attn.c_attn.weight"] = torch.randn(H, 3 * H)
    sd[h + "attn.c_attn.bias"] = torch.randn(3 * H)
    sd[h + "attn.c_proj.weight"] = torch.randn(H, H)
    sd[h + "attn.c_proj.bias"] = torch.randn(H)
    sd[h + "ln_2.weight"] = torch.randn(H)
    sd[h + "ln_2.bias"] = torch.randn(H)
    sd[h + "mlp.c_fc.weight"] = torch.randn(H, F)
    sd[h + "mlp.c_fc.bias"] = torch.randn(F)
    sd[h + "mlp.c_proj.weight"] = torch.randn(F, H)
    sd[h + "mlp.c_proj.bias"] = torch.randn(H)
    # Buffers some transformers versions save: causal mask and masked_bias.
    sd[h + "attn.bias"] = torch.tril(torch.ones(P, P, dtype=torch.bool)).view(
        1, 1, P, P)
    sd[h + "attn.masked_bias"] = torch.tensor(-1e4)
sd[p + "ln_f.weight"] = torch.randn(H)
sd[p + "ln_f.bias"] = torch.randn(H)
sd["lm_head.weight"] = sd[p + "wte.weight"].clone()  # tied, as state_dict()
buffers = [k for k in sd if k.endswith(".attn.bias") or
           k.endswith(".attn.masked_bias")]
save(sd, "gpt2.safetensors", {"format": "pt"})
save(cast(sd, torch.bfloat16, buffers), "gpt2_bf16.safetensors")
save(cast(sd, torch.float16, buffers), "gpt2_f16.safetensors")
save(cast(sd, torch.float64, buffers), "gpt2_f64.safetensors")


def conv1d(x, w, b):
    return torch.addmm(b.double(), x, w.double())


x = torch.randn(T, H, dtype=torch.float64)
z = torch.randn(T, H, dtype=torch.float64)
u = torch.randn(T, F, dtype=torch.float64)
h = p + "h.1."
qkv = conv1d(x, sd[h + "attn.c_attn.weight"], sd[h + "attn.c_attn.bias"])
q, k, v = qkv.split(H, dim=1)
hd = H // HEADS
expected = {
    "x": x, "z": z, "u": u,
    # [T, heads, head_dim] as GPT2Attention._split_heads views them.
    "q": q.reshape(T, HEADS, hd), "k": k.reshape(T, HEADS, hd),
    "v": v.reshape(T, HEADS, hd),
    "attn_out": conv1d(z, sd[h + "attn.c_proj.weight"],
                       sd[h + "attn.c_proj.bias"]),
    "fc1": conv1d(x, sd[h + "mlp.c_fc.weight"], sd[h + "mlp.c_fc.bias"]),
    "fc2": conv1d(u, sd[h + "mlp.c_proj.weight"], sd[h + "mlp.c_proj.bias"]),
}
save(expected, "gpt2_expected.safetensors")

# ---------------------------------------------------------------- Llama ----
torch.manual_seed(1)
L, H, HEADS, GROUPS, HD, F, V = 2, 24, 6, 2, 4, 40, 50
sd = {}
sd["model.embed_tokens.weight"] = torch.randn(V, H)
for n in range(L):
    m = "model.layers.%d." % n
    sd[m + "input_layernorm.weight"] = torch.randn(H)
    sd[m + "self_attn.q_proj.weight"] = torch.randn(HEADS * HD, H)
    sd[m + "self_attn.k_proj.weight"] = torch.randn(GROUPS * HD, H)
    sd[m + "self_attn.v_proj.weight"] = torch.randn(GROUPS * HD, H)
    sd[m + "self_attn.o_proj.weight"] = torch.randn(H, HEADS * HD)
    sd[m + "self_attn.rotary_emb.inv_freq"] = 1.0 / (
        10000 ** (torch.arange(0, HD, 2).float() / HD))
    sd[m + "post_attention_layernorm.weight"] = torch.randn(H)
    sd[m + "mlp.gate_proj.weight"] = torch.randn(F, H)
    sd[m + "mlp.up_proj.weight"] = torch.randn(F, H)
    sd[m + "mlp.down_proj.weight"] = torch.randn(H, F)
sd["model.norm.weight"] = torch.randn(H)
sd["lm_head.weight"] = torch.randn(V, H)
save(sd, "llama.safetensors", {"format": "pt"})
save(cast(sd, torch.bfloat16), "llama_bf16.safetensors")
tied = {k: v for k, v in sd.items() if k != "lm_head.weight"}
save(tied, "llama_tied.safetensors", {"format": "pt"})
tied_with_head = dict(tied)
tied_with_head["lm_head.weight"] = tied["model.embed_tokens.weight"].clone()
save(tied_with_head, "llama_tied_with_head.safetensors")


def linear(x, w):
    return x @ w.double().t()


x = torch.randn(T, H, dtype=torch.float64)
z = torch.randn(T, HEADS * HD, dtype=torch.float64)
u = torch.randn(T, F, dtype=torch.float64)
m = "model.layers.1."
expected = {
    "x": x, "z": z, "u": u,
    # [T, heads, head_dim] as LlamaAttention views them.
    "q": linear(x, sd[m + "self_attn.q_proj.weight"]).view(T, HEADS, HD),
    "k": linear(x, sd[m + "self_attn.k_proj.weight"]).view(T, GROUPS, HD),
    "v": linear(x, sd[m + "self_attn.v_proj.weight"]).view(T, GROUPS, HD),
    "attn_out": linear(z, sd[m + "self_attn.o_proj.weight"]),
    "gate": linear(x, sd[m + "mlp.gate_proj.weight"]),
    "up": linear(x, sd[m + "mlp.up_proj.weight"]),
    "fc2": linear(u, sd[m + "mlp.down_proj.weight"]),
}
save(expected, "llama_expected.safetensors")
print("ok")
