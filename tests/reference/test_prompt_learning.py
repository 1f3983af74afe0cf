"""Self-tests of the reference's prompt learning (prompt_learning.py; docs/prompt-learning.md):
/usr/bin/python3 -m unittest discover -s tests/reference

Each piece is checked against a second statement of it: LoRA against the merged weights
W + (alpha / r) B A and against the base when linear_out is zero, the LSTM against torch.nn.LSTM
and the equations by hand, virtual tokens against feeding the tokens whose embeddings they hold,
mixed-task batches against single rows, the masked loss against its formula, and every new kind
of parameter against finite differences (torch.autograd.gradcheck, float64). Skips without PyTorch.
"""

import json
import math
import os
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
    import prompt_learning as pl

GPT2 = dict(family="gpt2", num_layers=2, hidden=12, heads=3, ffn=10, vocab=17, max_positions=9)
LLAMA = dict(family="llama", num_layers=2, hidden=12, heads=3, query_groups=1, ffn=10, vocab=19)
LLAMA_GQA = dict(family="llama", num_layers=1, hidden=16, heads=4, query_groups=2, ffn=6, vocab=13)
TASKS = [dict(name="moby", total_virtual_tokens=3), dict(name="union", total_virtual_tokens=2),
         dict(name="old", total_virtual_tokens=2, trained=False)]
LORA_ALL = dict(adapter_dim=2, alpha=5, targets=["all"])
MLP = dict(encoder_type="mlp", num_layers=3, encoder_hidden=5)
LSTM = dict(encoder_type="lstm", num_layers=2, encoder_hidden=3)


_threads = []


def setUpModule():
    """One thread: these tensors are tiny, and a second thread only waits on a shared machine
    (gradcheck ran ten times slower with two). Restored afterwards."""
    if torch is not None:
        _threads.append(torch.get_num_threads())
        torch.set_num_threads(1)


def tearDownModule():
    if _threads:
        torch.set_num_threads(_threads.pop())


def config(base, style=None, p_tuning=None, lora=None, tasks=TASKS):
    d = dict(base)
    if style is not None:
        d.update(virtual_prompt_style=style, tasks=tasks)
    if p_tuning is not None:
        d["p_tuning"] = p_tuning
    if lora is not None:
        d["lora"] = lora
    return models.make_config(d)


def random_arrays(cfg, seed, std=0.3):
    """float64 values with every entry random (norm weights around 1), adapters included."""
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


def f64(cfg, arrays):
    return models.params_from_arrays(cfg, arrays, torch.float64)


def virtual_batch(cfg, seq=7, seed=0):
    """Rows: task 0 at the start, task 1 in the middle, the last task, then a row of real tokens
    only; labels random with the virtual positions (and one padding position) ignored."""
    rng = np.random.default_rng(seed)
    offsets, tasks = cfg.prompt.offsets(), cfg.prompt.tasks
    vt = np.full((4, seq), -1)
    vt[0, :tasks[0].total_virtual_tokens] = offsets[tasks[0].name] + np.arange(tasks[0].total_virtual_tokens)
    vt[1, 2:2 + tasks[1].total_virtual_tokens] = offsets[tasks[1].name] + np.arange(tasks[1].total_virtual_tokens)
    vt[2, 1:1 + tasks[-1].total_virtual_tokens] = offsets[tasks[-1].name] + np.arange(tasks[-1].total_virtual_tokens)
    tokens = rng.integers(0, cfg.vocab, size=(4, seq))
    tokens[vt != -1] = 0  # "end of text": replaced anyway
    labels = rng.integers(0, cfg.vocab, size=(4, seq))
    labels[vt != -1] = -1
    labels[3, -1] = -1
    return models.labeled_batch(tokens, labels, None, vt)


def logits(cfg, params, batch):
    return models.evaluate(cfg, params, batch)[0].detach().numpy()


# ----------------------------------------------------------------------------------------------

@needs_torch
class TestConfig(unittest.TestCase):
    def test_plain_configs_are_unchanged(self):
        self.assertIsNone(models.make_config(GPT2).prompt)
        self.assertIsNone(models.make_config(dict(GPT2, virtual_prompt_style=None, lora=None)).prompt)

    def test_rules(self):
        bad = [dict(GPT2, virtual_prompt_style="prefix", tasks=TASKS),
               dict(GPT2, tasks=TASKS),
               dict(GPT2, virtual_prompt_style="prompt-tuning"),
               dict(GPT2, virtual_prompt_style="prompt-tuning", tasks=[]),
               dict(GPT2, virtual_prompt_style="p-tuning", tasks=TASKS),
               dict(GPT2, virtual_prompt_style="prompt-tuning", tasks=TASKS, p_tuning=MLP),
               dict(GPT2, virtual_prompt_style="p-tuning", tasks=TASKS, p_tuning=dict(MLP, dropout=0.1)),
               dict(GPT2, virtual_prompt_style="p-tuning", tasks=TASKS, p_tuning=dict(MLP, encoder_type="gru")),
               dict(GPT2, virtual_prompt_style="p-tuning", tasks=TASKS, p_tuning=dict(MLP, num_layers=0)),
               dict(GPT2, virtual_prompt_style="prompt-tuning", tasks=TASKS + TASKS[:1]),
               dict(GPT2, virtual_prompt_style="prompt-tuning", tasks=[dict(name="a.b", total_virtual_tokens=1)]),
               dict(GPT2, virtual_prompt_style="prompt-tuning", tasks=[dict(name="a", total_virtual_tokens=0)]),
               dict(GPT2, virtual_prompt_style="prompt-tuning", tasks=[dict(name="a", total_virtual_tokens=1, x=1)]),
               dict(GPT2, lora=dict(adapter_dim=0)),
               dict(GPT2, lora=dict(adapter_dim=2, targets=["attention_query"])),
               dict(GPT2, lora=dict(adapter_dim=2, targets=[])),
               dict(GPT2, lora=dict(adapter_dim=2, adapter_dropout=0.1)),
               dict(GPT2, lora=dict(adapter_dim=2, rank=2))]
        for d in bad:
            with self.assertRaises(ValueError, msg=str(d)):
                models.make_config(d)

    def test_lora_targets_and_alpha(self):
        lora = lambda **kw: models.make_config(dict(GPT2, lora=dict(adapter_dim=4, **kw))).prompt.lora
        self.assertEqual(lora().targets, ("attention_qkv",))
        self.assertEqual(lora().alpha, 4.0)
        self.assertEqual(lora(alpha=2).scale, 0.5)
        self.assertEqual(lora(targets=["attention"]).targets, ("attention_qkv", "attention_dense"))
        self.assertEqual(lora(targets=["mlp_fc2", "mlp"]).targets, ("mlp_fc1", "mlp_fc2"))
        self.assertEqual(lora(targets=["all"]).targets, pl.TARGETS)

    def test_offsets(self):
        pc = config(GPT2, "prompt-tuning").prompt
        self.assertEqual(pc.offsets(), {"moby": 0, "union": 3, "old": 5})
        self.assertEqual(pc.total_virtual_tokens, 7)


@needs_torch
class TestParameters(unittest.TestCase):
    def test_names_and_shapes(self):
        """The shapes of docs/prompt-learning.md, written out once more: LSTM p-tuning on a
        grouped-query SwiGLU model (H 16, 4 heads of 4, 2 groups, ffn 6), E 3, r 2."""
        cfg = config(LLAMA_GQA, "p-tuning", LSTM, LORA_ALL)
        e = "prompt_encoder."
        expected = {}
        for task, n in (("moby", 3), ("union", 2)):
            expected.update({
                f"{e}{task}.embedding.weight": (n, 16),
                f"{e}{task}.lstm.0.weight_ih": (2, 12, 16), f"{e}{task}.lstm.0.weight_hh": (2, 12, 3),
                f"{e}{task}.lstm.0.bias": (2, 12),
                f"{e}{task}.lstm.1.weight_ih": (2, 12, 6), f"{e}{task}.lstm.1.weight_hh": (2, 12, 3),
                f"{e}{task}.lstm.1.bias": (2, 12),
                f"{e}{task}.mlp_head.0.weight": (6, 6), f"{e}{task}.mlp_head.0.bias": (6,),
                f"{e}{task}.mlp_head.1.weight": (16, 6), f"{e}{task}.mlp_head.1.bias": (16,)})
        expected["prompt_table.old.weight"] = (2, 16)  # existing: its table only
        expected.update({
            "layers.0.attention.lora_qkv.linear_in.weight": (2, 16),
            "layers.0.attention.lora_qkv.linear_out.query.weight": (4, 4, 2),
            "layers.0.attention.lora_qkv.linear_out.key.weight": (2, 4, 2),
            "layers.0.attention.lora_qkv.linear_out.value.weight": (2, 4, 2),
            "layers.0.attention.lora_dense.linear_in.weight": (2, 4, 4),
            "layers.0.attention.lora_dense.linear_out.weight": (16, 2),
            "layers.0.mlp.lora_fc1.linear_in.weight": (2, 16),
            "layers.0.mlp.lora_fc1.linear_out.gate.weight": (6, 2),
            "layers.0.mlp.lora_fc1.linear_out.up.weight": (6, 2),
            "layers.0.mlp.lora_fc2.linear_in.weight": (2, 6),
            "layers.0.mlp.lora_fc2.linear_out.weight": (16, 2)})
        self.assertEqual(pl.adapter_shapes(cfg), expected)
        shapes = models.param_shapes(cfg)
        self.assertEqual(list(shapes)[:len(models.base_param_shapes(cfg))],
                         list(models.base_param_shapes(cfg)))

    def test_mlp_encoder_and_gelu_fc1(self):
        cfg = config(GPT2, "p-tuning", MLP, dict(adapter_dim=3, targets=["mlp_fc1"]),
                     tasks=TASKS[:1])
        self.assertEqual(pl.adapter_shapes(cfg), {
            "prompt_encoder.moby.embedding.weight": (3, 12),
            "prompt_encoder.moby.mlp.0.weight": (5, 12), "prompt_encoder.moby.mlp.0.bias": (5,),
            "prompt_encoder.moby.mlp.1.weight": (5, 5), "prompt_encoder.moby.mlp.1.bias": (5,),
            "prompt_encoder.moby.mlp.2.weight": (12, 5), "prompt_encoder.moby.mlp.2.bias": (12,),
            "layers.0.mlp.lora_fc1.linear_in.weight": (3, 12),
            "layers.0.mlp.lora_fc1.linear_out.weight": (10, 3),
            "layers.1.mlp.lora_fc1.linear_in.weight": (3, 12),
            "layers.1.mlp.lora_fc1.linear_out.weight": (10, 3)})
        prompt = config(GPT2, "prompt-tuning", tasks=TASKS[:2])
        self.assertEqual(pl.adapter_shapes(prompt), {"prompt_table.moby.weight": (3, 12),
                                                     "prompt_table.union.weight": (2, 12)})

    def test_init(self):
        big = dict(family="llama", num_layers=1, hidden=64, heads=4, ffn=96, vocab=11)
        cfg = config(big, "p-tuning", dict(LSTM, encoder_hidden=16), dict(adapter_dim=8, targets=["all"]))
        arrays = models.init_params(cfg, seed=3, std=0.05)
        plain = models.init_params(models.make_config(big), seed=3, std=0.05)
        for n in plain:  # adapters leave the base init as it was
            np.testing.assert_array_equal(arrays[n], plain[n], err_msg=n)
        for n, a in pl.adapter_shapes(cfg).items():
            self.assertEqual(arrays[n].dtype, np.float32)
            if n.endswith(".bias") or ".linear_out." in n:
                self.assertFalse(arrays[n].any(), n)
            elif ".linear_in." in n:
                fan_in = int(np.prod(a[1:]))
                self.assertAlmostEqual(arrays[n].std() / math.sqrt(2 / (fan_in + 8)), 1, delta=0.1, msg=n)
            else:
                self.assertAlmostEqual(arrays[n].std() / 0.05, 1, delta=0.2, msg=n)
        again = models.init_params(cfg, seed=3, std=0.05)
        for n in arrays:
            np.testing.assert_array_equal(arrays[n], again[n])

    def test_randomize_adapters(self):
        cfg = config(GPT2, "p-tuning", MLP, LORA_ALL)
        arrays = models.init_params(cfg, seed=1)
        rnd = pl.randomize_adapters(cfg, arrays, seed=1)
        for n in arrays:
            zero_at_init = n in pl.adapter_shapes(cfg) and (n.endswith(".bias") or ".linear_out." in n)
            if zero_at_init:
                self.assertTrue(np.all(rnd[n] != 0), n)
            else:
                np.testing.assert_array_equal(rnd[n], arrays[n], err_msg=n)

    def test_trainable(self):
        cfg = config(GPT2, "prompt-tuning", lora=dict(adapter_dim=2))
        params = f64(cfg, random_arrays(cfg, 0))
        trains = {n for n, t in params.items() if t.requires_grad}
        self.assertEqual(trains, {"prompt_table.moby.weight", "prompt_table.union.weight"}
                         | {f"layers.{i}.attention.lora_qkv.{k}" for i in range(2)
                            for k in ("linear_in.weight", "linear_out.query.weight",
                                      "linear_out.key.weight", "linear_out.value.weight")})
        plain = models.make_config(GPT2)
        self.assertTrue(all(t.requires_grad for t in f64(plain, random_arrays(plain, 0)).values()))


# ----------------------------------------------------------------------------------------------

def merged_base(cfg, arrays):
    """The base arrays with every LoRA folded in, W + (alpha / r) B A, in the base's Hugging Face
    layouts (GPT-2's Conv1D weights are [in, out], so they get the transpose)."""
    s = cfg.prompt.lora.scale
    out = {n: np.array(a) for n, a in arrays.items() if n in models.base_param_shapes(cfg)}
    flat = lambda a, r: a.reshape(-1, r) if a.shape[-1] == r else a.reshape(r, -1)
    for i in range(cfg.num_layers):
        get = lambda k: arrays[f"layers.{i}.{k}"]
        r = cfg.prompt.lora.adapter_dim
        A_qkv, A_dense = get("attention.lora_qkv.linear_in.weight"), get("attention.lora_dense.linear_in.weight").reshape(r, -1)
        A_fc1, A_fc2 = get("mlp.lora_fc1.linear_in.weight"), get("mlp.lora_fc2.linear_in.weight")
        up = {part: s * flat(get(f"attention.lora_qkv.linear_out.{part}.weight"), r) @ A_qkv
              for part in ("query", "key", "value")}                      # [out, in]
        dense = s * get("attention.lora_dense.linear_out.weight") @ A_dense
        fc2 = s * get("mlp.lora_fc2.linear_out.weight") @ A_fc2
        if cfg.family == "gpt2":
            H = cfg.hidden
            for j, part in enumerate(("query", "key", "value")):
                out[f"h.{i}.attn.c_attn.weight"][:, j * H:(j + 1) * H] += up[part].T
            out[f"h.{i}.attn.c_proj.weight"] += dense.T
            out[f"h.{i}.mlp.c_fc.weight"] += (s * get("mlp.lora_fc1.linear_out.weight") @ A_fc1).T
            out[f"h.{i}.mlp.c_proj.weight"] += fc2.T
        else:
            pre = f"model.layers.{i}."
            for part, proj in (("query", "q_proj"), ("key", "k_proj"), ("value", "v_proj")):
                out[pre + f"self_attn.{proj}.weight"] += up[part]
            out[pre + "self_attn.o_proj.weight"] += dense
            for part in ("gate", "up"):
                out[pre + f"mlp.{part}_proj.weight"] += s * get(f"mlp.lora_fc1.linear_out.{part}.weight") @ A_fc1
            out[pre + "mlp.down_proj.weight"] += fc2
    return out


@needs_torch
class TestLora(unittest.TestCase):
    BASES = (GPT2, dict(GPT2, activation="gelu", bias=False, tie_embeddings=False), LLAMA, LLAMA_GQA)

    def test_zero_linear_out_is_the_base(self):
        for base in self.BASES:
            cfg, plain = config(base, lora=LORA_ALL), models.make_config(base)
            arrays = random_arrays(cfg, seed=1)
            arrays.update({n: np.zeros_like(a) for n, a in arrays.items() if ".linear_out." in n})
            tokens = np.random.default_rng(2).integers(0, cfg.vocab, size=(2, 7))
            got = logits(cfg, f64(cfg, arrays), tokens)
            want = logits(plain, f64(plain, {n: arrays[n] for n in models.param_shapes(plain)}), tokens)
            np.testing.assert_array_equal(got, want, err_msg=base["family"])

    def test_merged_equals_separate(self):
        for base in self.BASES:
            cfg, plain = config(base, lora=LORA_ALL), models.make_config(base)
            arrays = random_arrays(cfg, seed=3)
            tokens = np.random.default_rng(4).integers(0, cfg.vocab, size=(2, 7))
            got = logits(cfg, f64(cfg, arrays), tokens)
            want = logits(plain, f64(plain, merged_base(cfg, arrays)), tokens)
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=base["family"])
            unmerged = logits(plain, f64(plain, {n: arrays[n] for n in models.param_shapes(plain)}), tokens)
            self.assertGreater(np.abs(unmerged - want).max(), 1e-3)  # the adapters mattered

    def test_each_target_alone(self):
        """One target at a time equals merging that target only (the others' updates zero)."""
        for base in (GPT2, LLAMA_GQA):
            full = config(base, lora=LORA_ALL)
            arrays = random_arrays(full, seed=5)
            tokens = np.random.default_rng(6).integers(0, full.vocab, size=(1, 6))
            plain = models.make_config(base)
            for target in pl.TARGETS:
                cfg = config(base, lora=dict(LORA_ALL, targets=[target]))
                mine = set(pl.adapter_shapes(cfg))
                only = {n: (a if n in mine or n not in pl.adapter_shapes(full) else np.zeros_like(a))
                        for n, a in arrays.items()}
                got = logits(cfg, f64(cfg, {n: only[n] for n in models.param_shapes(cfg)}), tokens)
                want = logits(plain, f64(plain, merged_base(full, only)), tokens)
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=target)


# ----------------------------------------------------------------------------------------------

def lstm_params(num_layers, hidden, E, seed, dtype=torch.float64):
    rng = np.random.default_rng(seed)
    p = {}
    for i in range(num_layers):
        p[f"e.lstm.{i}.weight_ih"] = rng.normal(0, 0.5, (2, 4 * E, hidden if i == 0 else 2 * E))
        p[f"e.lstm.{i}.weight_hh"] = rng.normal(0, 0.5, (2, 4 * E, E))
        p[f"e.lstm.{i}.bias"] = rng.normal(0, 0.5, (2, 4 * E))
    return {n: torch.tensor(a, dtype=dtype, requires_grad=True) for n, a in p.items()}


@needs_torch
class TestEncoders(unittest.TestCase):
    def test_lstm_equals_torch_nn_lstm(self):
        """Outputs and every gradient, three layers, both directions."""
        L, H, E, n = 3, 5, 4, 6
        p = lstm_params(L, H, E, seed=1)
        x = torch.tensor(np.random.default_rng(2).normal(size=(n, H)), requires_grad=True)
        weights = torch.tensor(np.random.default_rng(3).normal(size=(n, 2 * E)))
        mine = pl.lstm_layers(p, "e.", x, L)
        (mine * weights).sum().backward()

        lstm = pl.torch_lstm(p, "e.", L)
        x2 = x.detach().clone().requires_grad_(True)
        theirs, _ = lstm(x2[None])
        (theirs[0] * weights).sum().backward()
        np.testing.assert_allclose(mine.detach().numpy(), theirs[0].detach().numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-11, atol=1e-13)
        for i in range(L):
            for d, suffix in ((0, ""), (1, "_reverse")):
                for ours, torchs in (("weight_ih", "weight_ih"), ("weight_hh", "weight_hh"),
                                     ("bias", "bias_ih"), ("bias", "bias_hh")):
                    np.testing.assert_allclose(
                        p[f"e.lstm.{i}.{ours}"].grad[d].numpy(),
                        getattr(lstm, f"{torchs}_l{i}{suffix}").grad.numpy(),
                        rtol=1e-11, atol=1e-13, err_msg=f"{ours} layer {i} direction {d}")

    def test_lstm_equations_by_hand(self):
        """One layer over two tokens, written out: gates in the order i, f, g, o; the reverse
        direction reads token 1 first; the output is [forward | backward]."""
        H, E = 3, 2
        p = lstm_params(1, H, E, seed=4)
        x = np.random.default_rng(5).normal(size=(2, H))
        W, U, b = (p[f"e.lstm.0.{k}"].detach().numpy() for k in ("weight_ih", "weight_hh", "bias"))
        sig = lambda v: 1 / (1 + np.exp(-v))

        def step(d, xt, h, c):
            z = W[d] @ xt + U[d] @ h + b[d]
            i, f, g, o = sig(z[:E]), sig(z[E:2 * E]), np.tanh(z[2 * E:3 * E]), sig(z[3 * E:])
            c = f * c + i * g
            return o * np.tanh(c), c

        zero = np.zeros(E)
        f0, c = step(0, x[0], zero, zero)
        f1, _ = step(0, x[1], f0, c)
        b1, c = step(1, x[1], zero, zero)
        b0, _ = step(1, x[0], b1, c)
        want = np.array([np.concatenate([f0, b0]), np.concatenate([f1, b1])])
        got = pl.lstm_layers(p, "e.", torch.tensor(x), 1).detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)

    def test_mlp_encoder_by_hand(self):
        """Linear, ReLU, Linear, ReLU, Linear: no ReLU after the last layer."""
        cfg = config(GPT2, "p-tuning", MLP, tasks=TASKS[:1])
        arrays = random_arrays(cfg, seed=6)
        a = lambda k: arrays["prompt_encoder.moby." + k]
        relu = lambda v: np.maximum(v, 0)
        x = a("embedding.weight")
        x = relu(x @ a("mlp.0.weight").T + a("mlp.0.bias"))
        x = relu(x @ a("mlp.1.weight").T + a("mlp.1.bias"))
        x = x @ a("mlp.2.weight").T + a("mlp.2.bias")
        self.assertTrue((x < 0).any())
        got = pl.virtual_tables(cfg, f64(cfg, arrays))["moby"].detach().numpy()
        np.testing.assert_allclose(got, x, rtol=1e-13, atol=1e-14)

    def test_lstm_encoder_head(self):
        cfg = config(GPT2, "p-tuning", LSTM, tasks=TASKS[:1])
        params = f64(cfg, random_arrays(cfg, seed=7))
        pre = "prompt_encoder.moby."
        with torch.no_grad():
            out, _ = pl.torch_lstm(params, pre, 2)(params[pre + "embedding.weight"][None])
            head = lambda k: params[pre + "mlp_head." + k]
            want = torch.relu(out[0] @ head("0.weight").t() + head("0.bias")) @ head("1.weight").t() + head("1.bias")
            got = pl.virtual_tables(cfg, params)["moby"]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-13)


# ----------------------------------------------------------------------------------------------

@needs_torch
class TestVirtualTokens(unittest.TestCase):
    def test_table_of_word_embeddings_equals_the_tokens(self):
        """A prompt table holding the embeddings of some tokens gives exactly the logits of
        feeding those tokens. The table replaces the word embedding (NeMo's placement: position
        embeddings are added after)."""
        for base in (LLAMA, GPT2):
            cfg = config(base, "prompt-tuning", tasks=[dict(name="t", total_virtual_tokens=3)])
            plain = models.make_config(base)
            arrays = random_arrays(cfg, seed=8)
            ids, where = np.array([5, 9, 2]), np.array([1, 2, 4])
            table = arrays["model.embed_tokens.weight" if base is LLAMA else "wte.weight"][ids]
            arrays["prompt_table.t.weight"] = table
            tokens = np.random.default_rng(9).integers(0, cfg.vocab, size=(3, 6))
            real = tokens.copy()
            real[:, where] = ids
            vt = np.full(tokens.shape, -1)
            vt[:, where] = np.arange(3)
            got = logits(cfg, f64(cfg, arrays), models.labeled_batch(tokens, tokens, None, vt))
            want = logits(plain, f64(plain, {n: arrays[n] for n in models.param_shapes(plain)}),
                          models.labeled_batch(real, real))
            np.testing.assert_array_equal(got, want, err_msg=base["family"])

    def test_table_gradient_is_the_embedding_gradient(self):
        """The vector-Jacobian product scatters into the table: with tokens that occur nowhere
        else, a table row's gradient is the untied embedding row's gradient of those tokens."""
        cfg = config(LLAMA, "prompt-tuning", tasks=[dict(name="t", total_virtual_tokens=3)])
        plain = models.make_config(LLAMA)
        arrays = random_arrays(cfg, seed=10)
        ids = np.array([5, 9, 2])
        arrays["prompt_table.t.weight"] = arrays["model.embed_tokens.weight"][ids]
        rng = np.random.default_rng(11)
        others = np.setdiff1d(np.arange(cfg.vocab), ids)
        tokens, labels = rng.choice(others, size=(2, 6)), rng.integers(0, cfg.vocab, size=(2, 6))
        vt = np.full(tokens.shape, -1)
        vt[0, [0, 3]], vt[1, [1, 2, 5]] = [0, 2], [1, 2, 0]  # row 0 twice, row 2 twice
        real = tokens.copy()
        real[vt != -1] = ids[vt[vt != -1]]
        _, g = models.loss_and_grads(cfg, f64(cfg, arrays), models.labeled_batch(tokens, labels, None, vt))
        _, g_plain = models.loss_and_grads(
            plain, f64(plain, {n: arrays[n] for n in models.param_shapes(plain)}),
            models.labeled_batch(real, labels))
        np.testing.assert_allclose(g["prompt_table.t.weight"].numpy(),
                                   g_plain["model.embed_tokens.weight"][ids].numpy(), rtol=1e-11, atol=1e-14)

    def test_mixed_task_batch_rows_equal_single_rows(self):
        for base, style, p_tuning in ((GPT2, "prompt-tuning", None), (LLAMA, "p-tuning", LSTM),
                                      (LLAMA_GQA, "p-tuning", MLP)):
            cfg = config(base, style, p_tuning, LORA_ALL)
            params = f64(cfg, random_arrays(cfg, seed=12))
            batch = virtual_batch(cfg)
            all_logits, loss = models.evaluate(cfg, params, batch)
            total, count = 0.0, 0
            for r in range(batch.num_rows):
                row_logits, row_loss = models.evaluate(cfg, params, batch.rows(r, r + 1))
                np.testing.assert_allclose(row_logits.detach().numpy(), all_logits[r:r + 1].detach().numpy(),
                                           rtol=1e-12, atol=1e-12)
                n = int((batch.labels[r] != -1).sum())
                total, count = total + row_loss.item() * n, count + n
            self.assertAlmostEqual(loss.item(), total / count, places=12)

    def test_rows_of_unused_tasks_get_zero_gradient(self):
        cfg = config(GPT2, "p-tuning", MLP)
        params = f64(cfg, random_arrays(cfg, seed=13))
        batch = virtual_batch(cfg).rows(0, 1)  # task moby only
        _, g = models.loss_and_grads(cfg, params, batch)
        self.assertTrue(all(not g[n].any() for n in g if ".union." in n))
        self.assertTrue(all(g[n].any() for n in g if ".moby." in n))

    def test_bad_virtual_tokens(self):
        cfg = config(GPT2, "prompt-tuning")  # 7 virtual rows
        params = f64(cfg, random_arrays(cfg, seed=14))
        tokens = np.zeros((1, 4), int)
        for vt in ([[-1, 7, -1, -1]], [[-2, 0, 1, 2]]):
            with self.assertRaises(ValueError, msg=str(vt)):
                models.evaluate(cfg, params, models.labeled_batch(tokens, tokens, None, vt))
        with self.assertRaises(ValueError):
            models.evaluate(cfg, params, models.labeled_batch(tokens, tokens))
        with self.assertRaises(ValueError):
            models.forward(cfg, params, torch.zeros(1, 4, dtype=torch.int64), None,
                           torch.zeros(1, 3, dtype=torch.int64))
        lora_only = config(GPT2, lora=LORA_ALL)
        lp = f64(lora_only, random_arrays(lora_only, seed=15))
        models.evaluate(lora_only, lp, models.labeled_batch(tokens, tokens, None, -np.ones((1, 4), int)))
        with self.assertRaises(ValueError):
            models.evaluate(lora_only, lp, models.labeled_batch(tokens, tokens, None, [[0, -1, -1, -1]]))


# ----------------------------------------------------------------------------------------------

def np_cross_entropy(logits, label):
    top = logits.max()
    return top + math.log(np.exp(logits - top).sum()) - logits[label]


@needs_torch
class TestLabelsAndPositions(unittest.TestCase):
    def test_ignored_labels(self):
        cfg = models.make_config(LLAMA)
        params = f64(cfg, random_arrays(cfg, seed=16))
        rng = np.random.default_rng(17)
        tokens, labels = rng.integers(0, cfg.vocab, (3, 5)), rng.integers(0, cfg.vocab, (3, 5))
        labels[0, :3] = labels[2, 4] = -1
        out, loss = models.evaluate(cfg, params, models.labeled_batch(tokens, labels))
        out = out.detach().numpy()
        kept = [(b, t) for b in range(3) for t in range(5) if labels[b, t] != -1]
        want = sum(np_cross_entropy(out[b, t], labels[b, t]) for b, t in kept) / len(kept)
        self.assertAlmostEqual(loss.item(), want, places=12)

    def test_all_ignored_is_zero_with_zero_gradients(self):
        cfg = config(GPT2, lora=LORA_ALL)
        params = f64(cfg, random_arrays(cfg, seed=18))
        tokens = np.ones((2, 4), int)
        loss, g = models.loss_and_grads(cfg, params, models.labeled_batch(tokens, -np.ones((2, 4), int)))
        self.assertEqual(loss.item(), 0.0)
        self.assertEqual(set(g), set(pl.adapter_shapes(cfg)))
        self.assertTrue(all(not t.any() for t in g.values()))

    def test_bad_labels(self):
        cfg = models.make_config(GPT2)
        params = f64(cfg, random_arrays(cfg, seed=19))
        tokens = np.ones((1, 3), int)
        for labels in ([[0, 17, 1]], [[0, -2, 1]]):
            with self.assertRaises(ValueError, msg=str(labels)):
                models.evaluate(cfg, params, models.labeled_batch(tokens, labels))
        with self.assertRaises(ValueError):
            models.labeled_batch(tokens, [[0, 1]])

    def test_labels_equal_next_token(self):
        for base in (GPT2, LLAMA):
            cfg = models.make_config(base)
            params = f64(cfg, random_arrays(cfg, seed=20))
            tokens = np.random.default_rng(21).integers(0, cfg.vocab, (2, 7))
            a = models.evaluate(cfg, params, tokens)[1].item()
            b = models.evaluate(cfg, params, models.labeled_batch(tokens[:, :-1], tokens[:, 1:]))[1].item()
            self.assertAlmostEqual(a, b, places=13)

    def test_positions(self):
        """Explicit 0 .. seq-1 is the default; Llama's rotary scores depend on relative positions
        only, so shifting every position changes nothing; GPT-2 reads wpe at the positions."""
        tokens = np.random.default_rng(22).integers(0, 13, (2, 5))
        arange = np.tile(np.arange(5), (2, 1))
        for base in (GPT2, LLAMA):
            cfg = models.make_config(base)
            arrays = random_arrays(cfg, seed=23)
            params = f64(cfg, arrays)
            default = logits(cfg, params, models.labeled_batch(tokens, tokens))
            np.testing.assert_array_equal(logits(cfg, params, models.labeled_batch(tokens, tokens, arange)), default)
            shift = arange + np.array([[3], [1]])
            if base is LLAMA:
                np.testing.assert_allclose(logits(cfg, params, models.labeled_batch(tokens, tokens, shift)),
                                           default, rtol=1e-10, atol=1e-10)
                continue
            for r, k in enumerate((3, 1)):
                rolled = dict(arrays, **{"wpe.weight": np.roll(arrays["wpe.weight"], -k, axis=0)})
                want = logits(cfg, f64(cfg, rolled), models.labeled_batch(tokens[r:r + 1], tokens[r:r + 1]))
                got = logits(cfg, params, models.labeled_batch(tokens, tokens, shift))[r:r + 1]
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
            with self.assertRaises(ValueError):
                logits(cfg, params, models.labeled_batch(tokens, tokens, arange + 5))


# ----------------------------------------------------------------------------------------------

@needs_torch
class TestFrozenBase(unittest.TestCase):
    def test_only_trained_adapters_have_gradients(self):
        cfg = config(LLAMA, "p-tuning", LSTM, LORA_ALL)
        params = f64(cfg, random_arrays(cfg, seed=24))
        _, g = models.loss_and_grads(cfg, params, virtual_batch(cfg))
        want = {n for n in pl.adapter_shapes(cfg) if not n.startswith("prompt_table.old.")}
        self.assertEqual(set(g), want)
        for n, t in params.items():
            if n not in want:
                self.assertFalse(t.requires_grad, n)
                self.assertIsNone(t.grad, n)

    def test_training_moves_only_trained_adapters(self):
        cfg = config(GPT2, "prompt-tuning", lora=LORA_ALL)
        arrays = random_arrays(cfg, seed=25)
        params = f64(cfg, arrays)
        batch = virtual_batch(cfg)
        data = models.labeled_batch(torch.cat([batch.tokens] * 2), torch.cat([batch.labels] * 2), None,
                                    torch.cat([batch.virtual_tokens] * 2))
        losses = models.train(cfg, params, data, steps=2, lr=1e-2, weight_decay=0.1, clip_grad=0.5)
        self.assertEqual(len(losses), 2)
        for n, t in params.items():
            moved = not np.array_equal(t.detach().numpy(), arrays[n])
            self.assertEqual(moved, t.requires_grad, n)

    def test_decay_groups(self):
        cfg = config(GPT2, "p-tuning", LSTM, LORA_ALL)
        params = f64(cfg, random_arrays(cfg, seed=26))
        opt = models.make_adamw(params, lr=1.0, weight_decay=0.3)
        decayed = {id(t) for grp in opt.param_groups if grp["weight_decay"] > 0 for t in grp["params"]}
        listed = {id(t) for grp in opt.param_groups for t in grp["params"]}
        names = {n for n, t in params.items() if id(t) in decayed}
        self.assertEqual({n for n, t in params.items() if id(t) in listed},
                         {n for n, t in params.items() if t.requires_grad})
        self.assertEqual(names, {n for n, t in params.items() if t.requires_grad and not n.endswith(".bias")})
        self.assertIn("prompt_encoder.moby.lstm.0.weight_ih", names)
        self.assertNotIn("prompt_encoder.moby.lstm.0.bias", names)  # rank 2, still a bias

    def test_nothing_to_train(self):
        cfg = config(GPT2, "prompt-tuning", tasks=TASKS[2:])
        params = f64(cfg, random_arrays(cfg, seed=27))
        batch = models.labeled_batch(np.ones((1, 3), int), np.ones((1, 3), int), None, [[0, 1, -1]])
        models.evaluate(cfg, params, batch)
        with self.assertRaises(ValueError):
            models.loss_and_grads(cfg, params, batch)


# ----------------------------------------------------------------------------------------------

TINY_GPT2 = dict(family="gpt2", num_layers=1, hidden=6, heads=2, ffn=5, vocab=11, max_positions=8)
TINY_LLAMA = dict(family="llama", num_layers=1, hidden=8, heads=2, query_groups=1, ffn=5, vocab=11)
TINY_TASKS = [dict(name="a", total_virtual_tokens=2), dict(name="b", total_virtual_tokens=1)]


@needs_torch
class TestGradcheck(unittest.TestCase):
    """torch.autograd.gradcheck (float64 central differences against autograd, every element) of
    the loss with respect to each new kind of parameter, on tiny models and a mixed-task batch
    with ignored labels."""

    def check(self, cfg, kind, seed):
        params = f64(cfg, random_arrays(cfg, seed))
        batch = virtual_batch(cfg, seq=6, seed=seed) if cfg.prompt.style else models.labeled_batch(
            *np.random.default_rng(seed).integers(0, cfg.vocab, (2, 2, 6)))
        names = [n for n in pl.adapter_shapes(cfg) if kind in n and params[n].requires_grad]
        self.assertTrue(names, kind)

        def loss(*tensors):
            return models.evaluate(cfg, dict(params, **dict(zip(names, tensors))), batch)[1]

        inputs = tuple(params[n].detach().clone().requires_grad_(True) for n in names)
        self.assertTrue(torch.autograd.gradcheck(loss, inputs, eps=1e-6, atol=1e-8, rtol=1e-6),
                        f"{kind}: {names}")

    def test_prompt_table(self):
        self.check(config(TINY_GPT2, "prompt-tuning", tasks=TINY_TASKS), "prompt_table.", 30)
        self.check(config(TINY_LLAMA, "prompt-tuning", tasks=TINY_TASKS), "prompt_table.", 31)

    def test_mlp_encoder(self):
        cfg = config(TINY_LLAMA, "p-tuning", dict(MLP, encoder_hidden=4), tasks=TINY_TASKS)
        self.check(cfg, "prompt_encoder.", 32)

    def test_lstm_encoder(self):
        cfg = config(TINY_GPT2, "p-tuning", dict(LSTM, encoder_hidden=2), tasks=TINY_TASKS)
        self.check(cfg, "prompt_encoder.a.", 33)

    def test_lora(self):
        for base, seed in ((TINY_GPT2, 34), (TINY_LLAMA, 35)):
            cfg = config(base, lora=dict(adapter_dim=2, alpha=3, targets=["all"]))
            for target in ("lora_qkv", "lora_dense", "lora_fc1", "lora_fc2"):
                self.check(cfg, target, seed)


# ----------------------------------------------------------------------------------------------

@needs_torch
class TestCommandLine(unittest.TestCase):
    def tearDown(self):
        torch.set_num_threads(1)  # cli.main sets two

    def test_prompt_learning_modes(self):
        import cli
        base = dict(family="llama", num_layers=2, hidden=12, heads=3, query_groups=1, ffn=10, vocab=19)
        ptuning = dict(base, virtual_prompt_style="p-tuning", tasks=TASKS, p_tuning=LSTM, lora=LORA_ALL)
        with tempfile.TemporaryDirectory() as d:
            j = lambda f: os.path.join(d, f)
            with open(j("p.json"), "w") as f:
                json.dump(ptuning, f)
            cfg = models.make_config(ptuning)
            cli.main(["init", "--config", j("p.json"), "--seed", "4", "--randomize-adapters",
                      "--out", j("base.safetensors"), "--adapters-out", j("adapters.safetensors")])
            self.assertEqual(set(safetensors_io.load_file(j("base.safetensors"))), set(models.base_param_shapes(cfg)))
            self.assertEqual(set(safetensors_io.load_file(j("adapters.safetensors"))), set(pl.adapter_shapes(cfg)))
            batch = virtual_batch(cfg, seq=6)
            rows = lambda t: np.concatenate([t.numpy()] * 2).astype(np.int32)  # 2 steps
            for name in ("tokens", "labels", "virtual_tokens"):
                np.save(j(name + ".npy"), rows(getattr(batch, name))[:4])
                np.save(j(name + "2.npy"), rows(getattr(batch, name)))
            common = ["--config", j("p.json"), "--checkpoint", j("base.safetensors"),
                      "--adapters", j("adapters.safetensors"), "--labels", j("labels.npy"),
                      "--virtual-tokens", j("virtual_tokens.npy"), "--tokens", j("tokens.npy")]
            cli.main(["eval", *common, "--out", j("eval.safetensors")])
            cli.main(["grad", *common, "--out", j("grad.safetensors")])
            cli.main(["grad", *common, "--out", j("grad64.safetensors"), "--dtype", "float64"])
            ev, gr = safetensors_io.load_file(j("eval.safetensors")), safetensors_io.load_file(j("grad.safetensors"))
            trained = {n for n in pl.adapter_shapes(cfg) if not n.startswith("prompt_table.old.")}
            self.assertEqual(set(gr), {"loss"} | {"grad." + n for n in trained})
            self.assertEqual(ev["loss"], gr["loss"])
            arrays = dict(safetensors_io.load_file(j("base.safetensors")), **safetensors_io.load_file(j("adapters.safetensors")))
            self.assertAlmostEqual(float(ev["loss"]), models.evaluate(cfg, f64(cfg, arrays), batch)[1].item(), places=5)
            g64 = safetensors_io.load_file(j("grad64.safetensors"))
            for n in trained:
                self.assertEqual(g64["grad." + n].dtype, np.float64)
                np.testing.assert_allclose(gr["grad." + n], g64["grad." + n], rtol=1e-3, atol=1e-6, err_msg=n)

            # The tables an inference compile reads give the same logits as the encoders.
            cli.main(["tables", "--config", j("p.json"), "--checkpoint", j("base.safetensors"),
                      "--adapters", j("adapters.safetensors"), "--out", j("tables.safetensors")])
            tables = safetensors_io.load_file(j("tables.safetensors"))
            self.assertEqual(set(tables), {f"prompt_table.{t['name']}.weight" for t in TASKS})
            prompt = {k: v for k, v in ptuning.items() if k != "p_tuning"}
            prompt["virtual_prompt_style"] = "prompt-tuning"
            with open(j("prompt.json"), "w") as f:
                json.dump(prompt, f)
            lora = {n: a for n, a in arrays.items() if ".lora_" in n}
            safetensors_io.save_file(dict(tables, **lora), j("prompt-adapters.safetensors"))
            cli.main(["eval", "--config", j("prompt.json"), *common[2:4], "--adapters", j("prompt-adapters.safetensors"),
                      *common[6:], "--out", j("eval-tables.safetensors")])
            np.testing.assert_allclose(safetensors_io.load_file(j("eval-tables.safetensors"))["logits"],
                                       ev["logits"], rtol=1e-5, atol=1e-6)

            train = [a if not a.endswith(("tokens.npy", "labels.npy")) else a.replace(".npy", "2.npy") for a in common]
            cli.main(["train", *train, "--steps", "2", "--lr", "1e-2", "--weight-decay", "0.1",
                      "--clip-grad", "1.0", "--save", j("trained.safetensors"), "--out", j("losses.safetensors")])
            saved = safetensors_io.load_file(j("trained.safetensors"))
            self.assertEqual(set(saved), trained | {"prompt_table.moby.weight", "prompt_table.union.weight"})
            for n in trained:
                self.assertFalse(np.array_equal(saved[n], arrays[n]), n)
            losses = safetensors_io.load_file(j("losses.safetensors"))["loss"]
            self.assertEqual(losses.shape, (2,))
            self.assertAlmostEqual(float(losses[0]), float(ev["loss"]), places=6)


if __name__ == "__main__":
    unittest.main()
