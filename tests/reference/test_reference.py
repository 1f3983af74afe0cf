"""Self-tests of the reference: /usr/bin/python3 -m unittest discover -s tests/reference

The models are checked against a second, loop-level numpy formulation, autograd against central
finite differences in float64, the optimizer against AdamW's formula written out, and the
safetensors code against hand-built bytes. Tests that need PyTorch skip without it.
"""

import json
import math
import os
import struct
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import safetensors_io  # noqa: E402

try:
    import torch
except ImportError:
    torch = None
needs_torch = unittest.skipIf(
    torch is None, "PyTorch is not installed (Debian: python3-torch); run with /usr/bin/python3")
if torch is not None:
    import models
    torch.set_num_threads(2)

GPT2_TINY = dict(family="gpt2", num_layers=2, hidden=15, heads=3, ffn=21, vocab=17, max_positions=9)
LLAMA_TINY = dict(family="llama", num_layers=2, hidden=30, heads=3, query_groups=1, ffn=22, vocab=19)
LLAMA_GQA = dict(family="llama", num_layers=1, hidden=36, heads=6, query_groups=3, ffn=14, vocab=13,
                 rope_base=500.0, eps=1e-3)


def random_arrays(cfg, seed, std=0.3):
    """float64 parameters with every entry random (norm weights around 1), so nothing is trivial."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in models.param_shapes(cfg).items():
        if models.is_norm_weight(name):
            out[name] = 1.0 + 0.2 * rng.standard_normal(shape)
        elif name.endswith(".bias"):
            out[name] = 0.1 * rng.standard_normal(shape)
        else:
            out[name] = std * rng.standard_normal(shape)
    return out


def random_tokens(cfg, batch, seq, seed):
    return np.random.default_rng(seed).integers(0, cfg.vocab, size=(batch, seq + 1))


# ----------------------------------------------------------------------------------------------
# A second formulation: one sequence at a time, explicit loops for norms and attention, numpy.

def np_layer_norm(x, w, b, eps):
    out = np.empty_like(x)
    for t in range(x.shape[0]):
        mean = x[t].sum() / x.shape[1]
        var = ((x[t] - mean) ** 2).sum() / x.shape[1]
        out[t] = (x[t] - mean) / math.sqrt(var + eps) * w + (0.0 if b is None else b)
    return out


def np_rms_norm(x, w, eps):
    return np.stack([row / math.sqrt((row ** 2).sum() / len(row) + eps) * w for row in x])


def np_causal_attention(q, k, v):
    """q, k, v [T, D] of one head."""
    out = np.zeros_like(q)
    for t in range(q.shape[0]):
        s = np.array([q[t] @ k[u] / math.sqrt(q.shape[1]) for u in range(t + 1)])
        p = np.exp(s - s.max())
        p /= p.sum()
        out[t] = sum(p[u] * v[u] for u in range(t + 1))
    return out


def np_rotary_complex(x, base):
    """RoPE as complex rotation on the rotate_half pairing: z_j = x_j + i x_{j+D/2} at position t
    is multiplied by exp(i t base^(-2j/D))."""
    T, D = x.shape
    half = D // 2
    theta = base ** (-2.0 * np.arange(half) / D)
    z = (x[:, :half] + 1j * x[:, half:]) * np.exp(1j * np.arange(T)[:, None] * theta[None, :])
    return np.concatenate([z.real, z.imag], axis=1)


def np_gelu(x, activation):
    if activation in models.TANH_GELUS:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def np_partial_rotary(x, base, rotary_dim):
    """RoPE on the first rotary_dim channels (complex formulation over them alone), the rest
    unchanged."""
    return np.concatenate([np_rotary_complex(x[:, :rotary_dim], base), x[:, rotary_dim:]], axis=1)


def np_gpt2(cfg, P, seq):
    T, H, D = len(seq), cfg.hidden, cfg.head_dim
    zeros = lambda n: np.zeros(n)
    # layernorm1p: the stored weight is w - 1.
    one_p = 1.0 if cfg.normalization == "layernorm1p" else 0.0
    np_ln = lambda x, w, b: np_layer_norm(x, one_p + w, b, cfg.eps)
    x = np.stack([P["wte.weight"][tok] + P["wpe.weight"][t] for t, tok in enumerate(seq)])
    for i in range(cfg.num_layers):
        g = lambda k, n=None: P.get(f"h.{i}.{k}", None if n is None else zeros(n))
        a = np_ln(x, g("ln_1.weight"), g("ln_1.bias"))
        W, b = g("attn.c_attn.weight"), g("attn.c_attn.bias", 3 * H)
        heads = np.zeros((T, H))
        for h in range(cfg.heads):
            cols = [np.arange(part * H + h * D, part * H + (h + 1) * D) for part in range(3)]
            q, k, v = (np.einsum("ti,id->td", a, W[:, c]) + b[c] for c in cols)
            heads[:, h * D:(h + 1) * D] = np_causal_attention(q, k, v)
        x = x + heads @ g("attn.c_proj.weight") + g("attn.c_proj.bias", H)
        m = np_ln(x, g("ln_2.weight"), g("ln_2.bias"))
        m = np_gelu(m @ g("mlp.c_fc.weight") + g("mlp.c_fc.bias", cfg.ffn), cfg.activation)
        x = x + m @ g("mlp.c_proj.weight") + g("mlp.c_proj.bias", H)
    x = np_ln(x, P["ln_f.weight"], P.get("ln_f.bias"))
    return x @ P["wte.weight" if cfg.tie_embeddings else "lm_head.weight"].T


def np_llama(cfg, P, seq):
    T, D = len(seq), cfg.head_dim
    per_group = cfg.heads // cfg.query_groups
    x = np.stack([P["model.embed_tokens.weight"][tok] for tok in seq])
    for i in range(cfg.num_layers):
        g = lambda k: P[f"model.layers.{i}.{k}"]
        a = np_rms_norm(x, g("input_layernorm.weight"), cfg.eps)
        heads = np.zeros((T, cfg.heads * D))
        for h in range(cfg.heads):
            grp = h // per_group
            q = a @ g("self_attn.q_proj.weight")[h * D:(h + 1) * D].T
            k = a @ g("self_attn.k_proj.weight")[grp * D:(grp + 1) * D].T
            v = a @ g("self_attn.v_proj.weight")[grp * D:(grp + 1) * D].T
            q, k = (np_partial_rotary(t, cfg.rope_base, cfg.rotary_dim) for t in (q, k))
            heads[:, h * D:(h + 1) * D] = np_causal_attention(q, k, v)
        x = x + heads @ g("self_attn.o_proj.weight").T
        m = np_rms_norm(x, g("post_attention_layernorm.weight"), cfg.eps)
        gate = m @ g("mlp.gate_proj.weight").T
        m = (gate / (1 + np.exp(-gate))) * (m @ g("mlp.up_proj.weight").T)
        x = x + m @ g("mlp.down_proj.weight").T
    x = np_rms_norm(x, P["model.norm.weight"], cfg.eps)
    return x @ P["model.embed_tokens.weight" if cfg.tie_embeddings else "lm_head.weight"].T


def np_loss(logits, targets):
    total = 0.0
    for row, target in zip(logits, targets):
        top = row.max()
        total += top + math.log(np.exp(row - top).sum()) - row[target]
    return total / len(targets)


# ----------------------------------------------------------------------------------------------

@needs_torch
class TestModelsAgainstSecondFormulation(unittest.TestCase):
    def check(self, config, seq=6, batch=2):
        cfg = models.make_config(config)
        arrays = random_arrays(cfg, seed=1)
        params = models.params_from_arrays(cfg, arrays, torch.float64)
        tokens = random_tokens(cfg, batch, seq, seed=2)
        logits, loss = models.evaluate(cfg, params, tokens)
        second = np_gpt2 if cfg.family == "gpt2" else np_llama
        expected = np.stack([second(cfg, arrays, row[:-1]) for row in tokens])
        np.testing.assert_allclose(logits.detach().numpy(), expected, rtol=1e-10, atol=1e-10)
        expected_loss = np.mean([np_loss(l, row[1:]) for l, row in zip(expected, tokens)])
        self.assertAlmostEqual(loss.item(), expected_loss, places=10)

    def test_gpt2_tanh_gelu(self):
        self.check(GPT2_TINY)

    def test_gpt2_erf_gelu_no_bias_untied(self):
        self.check(dict(GPT2_TINY, activation="gelu", bias=False, tie_embeddings=False))

    def test_gpt2_full_position_table(self):
        self.check(GPT2_TINY, seq=9, batch=1)

    def test_llama_multi_query(self):
        self.check(LLAMA_TINY)

    def test_llama_grouped_query_tied(self):
        self.check(dict(LLAMA_GQA, tie_embeddings=True))

    def test_gpt2_layernorm1p_openai_gelu(self):
        self.check(dict(GPT2_TINY, normalization="layernorm1p", activation="openai-gelu"))

    def test_llama_partial_rotary(self):
        # head 12, a third rotated: 4 channels (2 frequencies), 8 passed through.
        self.check(dict(LLAMA_GQA, rotary_percentage=1 / 3))

    def test_layernorm1p_is_layernorm_of_one_plus_w(self):
        plain = models.make_config(GPT2_TINY)
        one_p = models.make_config(dict(GPT2_TINY, normalization="layernorm1p"))
        arrays = random_arrays(plain, seed=6)
        shifted = {k: v - 1.0 if models.is_norm_weight(k) else v for k, v in arrays.items()}
        tokens = random_tokens(plain, 2, 5, seed=7)
        a, _ = models.evaluate(plain, models.params_from_arrays(plain, arrays, torch.float64), tokens)
        b, _ = models.evaluate(one_p, models.params_from_arrays(one_p, shifted, torch.float64), tokens)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
        init = models.init_params(one_p, seed=8)
        self.assertTrue(all(not init[k].any() for k in init if models.is_norm_weight(k)))

    def test_partial_rotary_leaves_the_rest(self):
        x = torch.randn(1, 2, 5, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
        cos, sin = models.rope_cos_sin(torch.arange(5), 4, 10000.0, torch.float64)
        got = models.apply_rotary(x, cos, sin)
        self.assertTrue(torch.equal(got[..., 4:], x[..., 4:]))
        self.assertTrue(torch.equal(got[..., :4], models.apply_rotary(x[..., :4], cos, sin)))
        # head 6, half rotated: 3 channels, which RoPE cannot pair.
        with self.assertRaises(ValueError):
            models.make_config(dict(LLAMA_GQA, rotary_percentage=0.5))


@needs_torch
class TestLayouts(unittest.TestCase):
    def test_c_attn_columns(self):
        """q for head h, dim d, input i is c_attn.weight[i, h*head_dim + d]; k and v follow at
        offsets hidden and 2*hidden."""
        cfg = models.make_config(GPT2_TINY)
        params = models.params_from_arrays(cfg, random_arrays(cfg, seed=5), torch.float64)
        W = params["h.0.attn.c_attn.weight"].detach()
        with torch.no_grad():
            params["h.0.attn.c_attn.bias"].zero_()
        H, D = cfg.hidden, cfg.head_dim
        for i in range(H):
            x = torch.zeros(1, 1, H, dtype=torch.float64)
            x[0, 0, i] = 1.0
            q, k, v = (t.detach() for t in models.gpt2_qkv(cfg, params, 0, x))
            for h in range(cfg.heads):
                for d in range(D):
                    self.assertEqual(q[0, h, 0, d], W[i, h * D + d])
                    self.assertEqual(k[0, h, 0, d], W[i, H + h * D + d])
                    self.assertEqual(v[0, h, 0, d], W[i, 2 * H + h * D + d])

    def test_repeat_kv_groups_are_contiguous(self):
        x = torch.arange(3.0).view(1, 3, 1, 1)
        self.assertEqual(models.repeat_kv(x, 2).flatten().tolist(), [0, 0, 1, 1, 2, 2])

    def test_rotary_matches_complex_formulation(self):
        T, D, base = 7, 10, 10000.0
        x = torch.randn(2, 3, T, D, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        cos, sin = models.rope_cos_sin(torch.arange(T), D, base, torch.float64)
        got = models.apply_rotary(x, cos, sin).numpy()
        for b in range(2):
            for h in range(3):
                np.testing.assert_allclose(got[b, h], np_rotary_complex(x[b, h].numpy(), base),
                                           rtol=1e-12, atol=1e-12)

    def test_rotary_scores_depend_on_relative_position(self):
        D = 8
        g = torch.Generator().manual_seed(1)
        q, k = torch.randn(D, dtype=torch.float64, generator=g), torch.randn(D, dtype=torch.float64, generator=g)
        cos, sin = models.rope_cos_sin(torch.arange(20), D, 10000.0, torch.float64)
        score = lambda m, n: models.apply_rotary(q, cos[m], sin[m]) @ models.apply_rotary(k, cos[n], sin[n])
        self.assertAlmostEqual(score(5, 2).item(), score(17, 14).item(), places=12)
        self.assertAlmostEqual(models.apply_rotary(q, cos[9], sin[9]).norm().item(), q.norm().item(), places=12)

    def test_hand_computed_rms_norm_and_gelu(self):
        x = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
        # mean(x^2) = 12.5: x / sqrt(12.5) scaled by w.
        got = models.rms_norm(x, torch.tensor([1.0, 2.0], dtype=torch.float64), 0.0)
        np.testing.assert_allclose(got.numpy(), [[3 / math.sqrt(12.5), 8 / math.sqrt(12.5)]], rtol=1e-15)
        one = torch.tensor(1.0, dtype=torch.float64)
        self.assertAlmostEqual(models.gelu(one, "gelu").item(), 0.5 * (1 + math.erf(1 / math.sqrt(2))), places=15)
        self.assertAlmostEqual(models.gelu(one, "gelu_new").item(),
                               0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715)), places=15)


@needs_torch
class TestGradients(unittest.TestCase):
    def check(self, config, seed):
        cfg = models.make_config(config)
        params = models.params_from_arrays(cfg, random_arrays(cfg, seed), torch.float64)
        tokens = random_tokens(cfg, 2, 5, seed + 1)
        _, grads = models.loss_and_grads(cfg, params, tokens)
        rng = np.random.default_rng(seed + 2)
        h = 1e-6
        for name, t in params.items():  # one random entry of every parameter
            idx = tuple(int(rng.integers(0, n)) for n in t.shape)
            with torch.no_grad():
                t[idx] += h
                up = models.evaluate(cfg, params, tokens)[1].item()
                t[idx] -= 2 * h
                down = models.evaluate(cfg, params, tokens)[1].item()
                t[idx] += h
            fd = (up - down) / (2 * h)
            self.assertAlmostEqual(grads[name][idx].item(), fd, delta=1e-8 + 1e-6 * abs(fd), msg=name)

    def test_gpt2_finite_differences(self):
        self.check(GPT2_TINY, seed=10)

    def test_gpt2_untied_erf_finite_differences(self):
        self.check(dict(GPT2_TINY, activation="gelu", tie_embeddings=False, num_layers=1), seed=20)

    def test_llama_finite_differences(self):
        self.check(LLAMA_GQA, seed=30)
        self.check(LLAMA_TINY, seed=40)

    def test_layernorm1p_partial_rotary_finite_differences(self):
        self.check(dict(GPT2_TINY, normalization="layernorm1p", activation="openai-gelu",
                        num_layers=1), seed=60)
        self.check(dict(LLAMA_GQA, rotary_percentage=1 / 3), seed=70)

    def test_tied_embedding_gradient_is_the_sum(self):
        tied = models.make_config(GPT2_TINY)
        untied = models.make_config(dict(GPT2_TINY, tie_embeddings=False))
        arrays = random_arrays(tied, seed=50)
        tokens = random_tokens(tied, 2, 5, seed=51)
        _, g_tied = models.loss_and_grads(tied, models.params_from_arrays(tied, arrays, torch.float64), tokens)
        arrays_untied = dict(arrays, **{"lm_head.weight": arrays["wte.weight"]})
        _, g_untied = models.loss_and_grads(
            untied, models.params_from_arrays(untied, arrays_untied, torch.float64), tokens)
        np.testing.assert_allclose(g_tied["wte.weight"].numpy(),
                                   (g_untied["wte.weight"] + g_untied["lm_head.weight"]).numpy(),
                                   rtol=1e-12, atol=1e-14)
        self.assertNotIn("lm_head.weight", g_tied)


@needs_torch
class TestAdamW(unittest.TestCase):
    def test_steps_match_the_formula(self):
        cfg = models.make_config(LLAMA_GQA)
        lr, wd, b1, b2, eps, clip, steps, batch = 1e-2, 0.1, 0.8, 0.95, 1e-6, 0.4, 3, 2
        arrays = dict(random_arrays(cfg, seed=60), **{"model.norm.weight": np.full(36, 1.5)})
        tokens = random_tokens(cfg, steps * batch, 5, seed=61)

        trained = models.params_from_arrays(cfg, arrays, torch.float64)
        losses = models.train(cfg, trained, tokens, steps, lr, wd, b1, b2, eps, clip)

        # By hand: global-norm clip, decoupled weight decay on tensors of rank >= 2 only,
        # bias-corrected moments.
        p = models.params_from_arrays(cfg, arrays, torch.float64)
        m = {n: torch.zeros_like(t) for n, t in p.items()}
        v = {n: torch.zeros_like(t) for n, t in p.items()}
        clipped = 0
        for step in range(1, steps + 1):
            loss, g = models.loss_and_grads(cfg, p, tokens[(step - 1) * batch:step * batch])
            self.assertAlmostEqual(loss.item(), losses[step - 1], places=12)
            norm = math.sqrt(sum((x ** 2).sum().item() for x in g.values()))
            if clip / (norm + 1e-6) < 1:
                clipped += 1
                g = {n: x * (clip / (norm + 1e-6)) for n, x in g.items()}
            with torch.no_grad():
                for n, t in p.items():
                    decay = wd if t.dim() >= 2 else 0.0
                    t.mul_(1 - lr * decay)
                    m[n] = b1 * m[n] + (1 - b1) * g[n]
                    v[n] = b2 * v[n] + (1 - b2) * g[n] ** 2
                    m_hat, v_hat = m[n] / (1 - b1 ** step), v[n] / (1 - b2 ** step)
                    t.sub_(lr * m_hat / (v_hat.sqrt() + eps))
        self.assertGreater(clipped, 0, "the clip should have been active")
        for n in p:
            np.testing.assert_allclose(trained[n].detach().numpy(), p[n].detach().numpy(),
                                       rtol=1e-11, atol=1e-13, err_msg=n)

    def test_decay_groups(self):
        cfg = models.make_config(GPT2_TINY)
        params = models.params_from_arrays(cfg, random_arrays(cfg, 0), torch.float64)
        opt = models.make_adamw(params, lr=1.0, weight_decay=0.3)
        decayed = {id(t) for grp in opt.param_groups if grp["weight_decay"] > 0 for t in grp["params"]}
        names = {n for n, t in params.items() if id(t) in decayed}
        self.assertEqual(names, {n for n in params if n.endswith("weight") and not models.is_norm_weight(n)})
        self.assertIn("wte.weight", names)
        self.assertNotIn("h.0.ln_1.weight", names)


class TestSafetensors(unittest.TestCase):
    def test_round_trip(self):
        tensors = {
            "f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
            "f64": np.array([[1e-300, -2.5]]),
            "f16": np.array([0.5, -1.0], np.float16),
            "i32": np.array([-3, 2**31 - 1], np.int32),
            "i64": np.array([[2**40], [-1]], np.int64),
            "u8": np.array([255, 0], np.uint8),
            "bool": np.array([True, False]),
            "scalar": np.float32(3.25),
            "empty": np.zeros((0, 3), np.float32),
            "big_endian": np.array([1.0, 2.0], dtype=">f4"),
        }
        blob = safetensors_io.dumps(tensors, {"format": "pt"})
        (n,) = struct.unpack("<Q", blob[:8])
        self.assertEqual((8 + n) % 8, 0)
        back, meta = safetensors_io.loads_with_metadata(blob)
        self.assertEqual(meta, {"format": "pt"})
        self.assertEqual(set(back), set(tensors))
        for name, a in tensors.items():
            a = np.asarray(a)
            self.assertEqual(back[name].shape, a.shape, name)
            self.assertEqual(back[name].dtype, a.dtype.newbyteorder("<"), name)
            np.testing.assert_array_equal(back[name], a, err_msg=name)
        header = json.loads(blob[8:8 + n])
        self.assertEqual(header["scalar"], {"dtype": "F32", "shape": [], "data_offsets": header["scalar"]["data_offsets"]})
        with tempfile.TemporaryDirectory() as d:
            safetensors_io.save_file(tensors, os.path.join(d, "x.safetensors"))
            self.assertEqual(set(safetensors_io.load_file(os.path.join(d, "x.safetensors"))), set(tensors))

    @staticmethod
    def build(header, data):
        text = json.dumps(header).encode()
        return struct.pack("<Q", len(text)) + text + data

    def test_hand_built_file(self):
        header = {"__metadata__": {"format": "pt"},
                  "b": {"dtype": "BF16", "shape": [3], "data_offsets": [8, 14]},
                  "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                  "c": {"dtype": "I64", "shape": [1, 1], "data_offsets": [14, 22]}}
        data = (struct.pack("<2f", 1.5, -2.0)
                + struct.pack("<3H", 0x3F80, 0xBF00, 0x4049)  # bf16 1.0, -0.5, 3.140625
                + struct.pack("<q", -7))
        t, meta = safetensors_io.loads_with_metadata(self.build(header, data))
        self.assertEqual(meta, {"format": "pt"})
        np.testing.assert_array_equal(t["a"], np.array([1.5, -2.0], np.float32))
        self.assertEqual(t["b"].dtype, np.float32)
        np.testing.assert_array_equal(t["b"], [1.0, -0.5, 3.140625])
        self.assertEqual(t["c"].dtype, np.int64)
        np.testing.assert_array_equal(t["c"], [[-7]])

    def test_rejects_bad_files(self):
        ok = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
        bad = [
            ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),  # size
            ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),  # hole
            ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(12)),  # trailing
            ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),  # overlap
            ({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)),  # dtype
            (ok, bytes(4)),  # truncated
        ]
        for header, data in bad:
            with self.assertRaises(ValueError, msg=str(header)):
                safetensors_io.loads_with_metadata(self.build(header, data))
        with self.assertRaises(ValueError):
            safetensors_io.loads_with_metadata(struct.pack("<Q", 1000) + b"{}")

    def test_tokens(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.npy")
            np.save(path, np.array([[1, 2, 3]], np.int32))
            self.assertEqual(safetensors_io.load_tokens(path).dtype, np.int64)
            np.save(path, np.array([1.0, 2.0]))
            with self.assertRaises(ValueError):
                safetensors_io.load_tokens(path)


@needs_torch
class TestConfigAndCheckpoints(unittest.TestCase):
    def test_config_rules(self):
        for bad in [dict(GPT2_TINY, hiden=3), dict(GPT2_TINY, query_groups=1),
                    {k: v for k, v in GPT2_TINY.items() if k != "max_positions"},
                    dict(LLAMA_TINY, bias=True), dict(LLAMA_TINY, hidden=27, heads=3, query_groups=3),
                    dict(GPT2_TINY, family="bert"), dict(GPT2_TINY, activation="relu")]:
            with self.assertRaises(ValueError, msg=str(bad)):
                models.make_config(bad)
        for name in os.listdir(os.path.join(HERE, "configs")):
            with open(os.path.join(HERE, "configs", name)) as f:
                models.make_config(json.load(f))

    def test_checkpoint_names(self):
        cfg = models.make_config(GPT2_TINY)
        arrays = models.init_params(cfg, seed=0)
        hf = {"transformer." + n: a for n, a in arrays.items()}
        hf["transformer.h.0.attn.bias"] = np.ones((1, 1, 9, 9))  # HF's causal-mask buffer
        hf["lm_head.weight"] = arrays["wte.weight"]
        self.assertEqual(list(models.params_from_arrays(cfg, hf)), list(arrays))
        with self.assertRaises(ValueError):
            models.params_from_arrays(cfg, {n: a for n, a in arrays.items() if n != "ln_f.bias"})
        with self.assertRaises(ValueError):
            models.params_from_arrays(cfg, dict(arrays, **{"wpe.weight": np.zeros((8, 15))}))
        with self.assertRaises(ValueError):
            models.params_from_arrays(cfg, dict(arrays, extra=np.zeros(1)))

    def test_init_is_deterministic(self):
        cfg = models.make_config(LLAMA_TINY)
        a, b = models.init_params(cfg, 7), models.init_params(cfg, 7)
        for n in a:
            np.testing.assert_array_equal(a[n], b[n])
        self.assertFalse(np.array_equal(a["lm_head.weight"], models.init_params(cfg, 8)["lm_head.weight"]))
        np.testing.assert_array_equal(a["model.norm.weight"], np.ones(30, np.float32))


@needs_torch
class TestCommandLine(unittest.TestCase):
    def test_fixtures_eval_grad_train(self):
        import cli
        import make_fixtures
        for name in ("gpt2-small-odd.json", "llama-small-odd.json"):
            config = os.path.join(HERE, "configs", name)
            with open(config) as f:
                config_dict = json.load(f)
            cfg = models.make_config(config_dict)
            with tempfile.TemporaryDirectory() as d:
                ckpt, tokens = make_fixtures.make_fixtures(config_dict, d, seed=3, batch=2, seq=7, steps=2)
                t = np.load(tokens)
                self.assertEqual((t.dtype, t.shape), (np.int32, (4, 8)))
                run = lambda *a: cli.main([a[0], "--config", config, "--checkpoint", ckpt,
                                           "--tokens", tokens, *a[1:]])
                j = lambda f: os.path.join(d, f)
                run("eval", "--out", j("eval.safetensors"))
                run("grad", "--out", j("grad.safetensors"))
                run("grad", "--out", j("grad64.safetensors"), "--dtype", "float64")
                run("train", "--steps", "2", "--lr", "1e-3", "--weight-decay", "0.1",
                    "--clip-grad", "1.0", "--save", j("trained.safetensors"), "--out", j("losses.safetensors"))
                ev, gr = safetensors_io.load_file(j("eval.safetensors")), safetensors_io.load_file(j("grad.safetensors"))
                init, trained = safetensors_io.load_file(ckpt), safetensors_io.load_file(j("trained.safetensors"))
                self.assertEqual(ev["logits"].shape, (4, 7, cfg.vocab))
                self.assertEqual((ev["loss"].shape, ev["loss"].dtype), ((), np.float32))
                self.assertEqual(ev["loss"], gr["loss"])
                self.assertEqual(set(gr), {"loss"} | {"grad." + n for n in models.param_shapes(cfg)})
                self.assertEqual(safetensors_io.load_file(j("grad64.safetensors"))["loss"].dtype, np.float64)
                self.assertEqual(set(trained), set(init))
                for n in init:
                    self.assertFalse(np.array_equal(init[n], trained[n]), n)
                losses = safetensors_io.load_file(j("losses.safetensors"))["loss"]
                params = models.params_from_arrays(cfg, init)
                self.assertAlmostEqual(losses[0], models.evaluate(cfg, params, t[:2])[1].item(), places=6)


if __name__ == "__main__":
    unittest.main()
