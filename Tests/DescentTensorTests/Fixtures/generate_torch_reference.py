#!/usr/bin/env python3
"""Writes torch_reference.json: values and gradients of every tensor operation, computed by
PyTorch in float64, for DescentTensorTests to compare against.

Each case names an operation (DescentTensorTests/ReferenceTests.swift has the same table), its
inputs, its output, and the gradient of sum(output * cotangent) with respect to each input,
with a random cotangent so that every output element matters. Hessian cases give the exact
second derivatives of scalar functions. Run with: python3 generate_torch_reference.py
(needs `pip install 'torch==2.13.0+cpu'`; only the JSON is committed).
"""
import json
import math
import os

import torch

torch.manual_seed(0)
dtype = torch.float64


def rand(*shape, low=-2.0, high=2.0):
    return torch.rand(tuple(shape), dtype=dtype) * (high - low) + low


def positive(*shape):
    return rand(*shape, low=0.2, high=3.0)


CASES = []


def case(name, fn, inputs, differentiable=None):
    """Records fn(*inputs) and the gradients of sum(out * cotangent) w.r.t. the inputs."""
    differentiable = differentiable if differentiable is not None else list(range(len(inputs)))
    leaves = [x.clone().requires_grad_(i in differentiable) for i, x in enumerate(inputs)]
    out = fn(*leaves)
    cotangent = rand(*out.shape)
    grads = [None] * len(inputs)
    if differentiable and out.requires_grad:
        wanted = [leaves[i] for i in differentiable]
        got = torch.autograd.grad((out * cotangent).sum(), wanted, allow_unused=True)
        for i, g in zip(differentiable, got):
            grads[i] = (g if g is not None else torch.zeros_like(inputs[i])).tolist()
    CASES.append({
        "name": name,
        "inputs": [{"shape": list(x.shape), "data": x.flatten().tolist()} for x in inputs],
        "output": {"shape": list(out.shape), "data": out.detach().flatten().tolist()},
        "cotangent": cotangent.flatten().tolist(),
        "gradients": [None if g is None else torch.tensor(g, dtype=dtype).flatten().tolist() for g in grads],
    })


# Element-wise functions of one tensor. relu and abs meet an exact zero, where PyTorch's
# conventions (gradient 0) must be matched.
with_zero = torch.tensor([[-1.5, 0.0, 0.7], [2.0, -0.3, 0.0]], dtype=dtype)
case("negate", lambda x: -x, [rand(2, 3)])
case("exp", torch.exp, [rand(2, 3)])
case("log", torch.log, [positive(2, 3)])
case("log1p", torch.log1p, [positive(2, 3)])
case("log2", torch.log2, [positive(2, 3)])
case("log10", torch.log10, [positive(2, 3)])
case("sqrt", torch.sqrt, [positive(2, 3)])
case("sin", torch.sin, [rand(2, 3)])
case("cos", torch.cos, [rand(2, 3)])
case("tan", torch.tan, [rand(2, 3, low=-1.2, high=1.2)])
case("tanh", torch.tanh, [rand(2, 3)])
case("sigmoid", torch.sigmoid, [torch.tensor([-40.0, -3.0, 0.0, 0.5, 3.0, 40.0], dtype=dtype)])
case("relu", torch.relu, [with_zero])
case("softplus", torch.nn.functional.softplus, [torch.tensor([-30.0, -2.0, 0.0, 1.5, 19.0, 25.0], dtype=dtype)])
case("abs", torch.abs, [with_zero])
case("sign", torch.sign, [with_zero])
case("floor", torch.floor, [rand(2, 3) * 3])
case("round", torch.round, [torch.tensor([0.5, 1.5, 2.5, -0.5, -1.7, 2.2], dtype=dtype)])

# Binary functions with broadcasting.
case("add", torch.add, [rand(3, 4), rand(4)])
case("subtract", torch.sub, [rand(2, 1, 3), rand(4, 1)])
case("multiply", torch.mul, [rand(3, 1), rand(1, 4)])
case("divide", torch.div, [rand(3, 4), positive(3, 1)])
case("power", torch.pow, [positive(2, 3), rand(3)])
case("power_square", lambda x: x ** 2, [rand(2, 3)])
case("power_zero_base", torch.pow, [torch.tensor([0.0, 0.0, 2.0], dtype=dtype), torch.tensor([2.0, 0.0, 0.0], dtype=dtype)])
case("remainder", torch.remainder, [rand(2, 3) * 4, torch.tensor([1.5, -1.25, 0.75], dtype=dtype)])
case("maximum", torch.maximum, [torch.tensor([[1.0, 2.0, 3.0], [0.0, 5.0, -1.0]], dtype=dtype), torch.tensor([2.0, 2.0, 2.0], dtype=dtype)])
case("minimum", torch.minimum, [torch.tensor([[1.0, 2.0, 3.0], [0.0, 5.0, -1.0]], dtype=dtype), torch.tensor([2.0, 2.0, 2.0], dtype=dtype)])
case("where", lambda c, a, b: torch.where(c != 0, a, b),
     [torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=dtype), rand(2, 3), rand(3)], differentiable=[1, 2])
case("clip", lambda x: torch.clamp(x, -0.5, 1.0), [torch.tensor([-2.0, -0.5, 0.2, 1.0, 3.0], dtype=dtype)])

# Reductions.
case("sum_all", lambda x: x.sum(), [rand(2, 3, 4)])
case("sum_axis1", lambda x: x.sum(dim=1), [rand(2, 3, 4)])
case("sum_axes02_keepdims", lambda x: x.sum(dim=(0, 2), keepdim=True), [rand(2, 3, 4)])
case("mean_axis0", lambda x: x.mean(dim=0), [rand(3, 4)])
case("mean_all", lambda x: x.mean(), [rand(3, 4)])
ties = torch.tensor([[1.0, 3.0, 3.0], [2.0, -1.0, 0.5]], dtype=dtype)
case("max_all_ties", lambda x: torch.amax(x), [ties])
case("max_axis1", lambda x: torch.amax(x, dim=1), [ties])
case("min_axis0_keepdims", lambda x: torch.amin(x, dim=0, keepdim=True), [ties])
case("prod_axis1", lambda x: x.prod(dim=1), [rand(3, 4)])
case("prod_with_zero", lambda x: x.prod(), [torch.tensor([2.0, 0.0, 3.0, -1.5], dtype=dtype)])
case("var_all", lambda x: x.var(), [rand(3, 4)])
case("var_axis1_population", lambda x: x.var(dim=1, correction=0), [rand(3, 4)])
case("std_axis0", lambda x: x.std(dim=0), [rand(3, 4)])
case("norm_all", lambda x: torch.linalg.vector_norm(x), [rand(3, 4)])
case("norm_axis1", lambda x: torch.linalg.vector_norm(x, dim=1), [rand(3, 4)])
case("norm_zero", lambda x: torch.linalg.vector_norm(x), [torch.zeros(3, dtype=dtype)])
case("logsumexp_axis1", lambda x: torch.logsumexp(x, dim=1), [rand(3, 4) * 300])
case("softmax", lambda x: torch.softmax(x, dim=-1), [rand(3, 4)])
case("log_softmax_axis0", lambda x: torch.log_softmax(x, dim=0), [rand(3, 4)])
case("cumsum_axis1", lambda x: torch.cumsum(x, dim=1), [rand(3, 4)])

# Values only: results that are whole numbers or constant in x.
case("argmax_all", lambda x: torch.argmax(x), [ties], differentiable=[])
case("argmax_axis1", lambda x: torch.argmax(x, dim=1), [ties], differentiable=[])
case("argmin_axis0_keepdims", lambda x: torch.argmin(x, dim=0, keepdim=True), [ties], differentiable=[])
case("floor_divide", lambda a, b: torch.div(a, b, rounding_mode="floor"), [rand(2, 3) * 5, torch.tensor([1.5, -2.0, 0.7], dtype=dtype)], differentiable=[])
case("ceil", torch.ceil, [rand(2, 3) * 3], differentiable=[])
case("trunc", torch.trunc, [rand(2, 3) * 3], differentiable=[])
case("comparisons", lambda a, b: (a < b).double() + 2 * (a == b).double() + 4 * (a >= b).double(),
     [torch.tensor([1.0, 2.0, 3.0], dtype=dtype), torch.tensor([2.0, 2.0, 2.0], dtype=dtype)], differentiable=[])
case("linspace", lambda _: torch.linspace(-1.5, 2.25, 7, dtype=dtype), [torch.zeros(1, dtype=dtype)], differentiable=[])
case("arange", lambda _: torch.arange(0.5, 2.0, 0.3, dtype=dtype), [torch.zeros(1, dtype=dtype)], differentiable=[])
case("logsumexp_all", lambda x: torch.logsumexp(x, dim=(0, 1)), [rand(3, 4)])
case("cumsum_reverse_axis0", lambda x: torch.flip(torch.cumsum(torch.flip(x, [0]), dim=0), [0]), [rand(3, 4)])

# Rearranging and indexing.
case("reshape", lambda x: x.reshape(4, 3), [rand(2, 6)])
case("transpose", lambda x: x.permute(2, 0, 1), [rand(2, 3, 4)])
case("T", lambda x: x.T, [rand(3, 5)])
case("unsqueeze_squeeze", lambda x: x.unsqueeze(1).squeeze(), [rand(3, 1, 2)])
case("concat_axis1", lambda a, b: torch.cat([a, b], dim=1), [rand(2, 3), rand(2, 2)])
case("stack_axis1", lambda a, b: torch.stack([a, b], dim=1), [rand(2, 3), rand(2, 3)])
case("expand", lambda x: x.expand(3, 4), [rand(1, 4)])
case("index_row", lambda x: x[1], [rand(3, 4)])
case("index_negative", lambda x: x[-1, -2], [rand(3, 4)])
case("slice_steps", lambda x: x[1:3, ::2], [rand(4, 5)])
case("slice_negative_step", lambda x: x.flip(0)[:, 1:], [rand(3, 4)])  # x[::-1, 1:] in NumPy
case("gather_rows", lambda x: x[torch.tensor([2, 0, 2, 1])], [rand(3, 4)])
case("gather_column", lambda x: x[:, torch.tensor([3, 0])], [rand(3, 4)])
case("gather_pairs", lambda x: x[torch.tensor([0, 2]), torch.tensor([1, 3])], [rand(3, 4)])
case("mask_select", lambda x: x[x > 0], [torch.tensor([[1.0, -2.0, 3.0], [-4.0, 5.0, 0.5]], dtype=dtype)])


def put(base, values):
    out = base.clone()
    out[1, 1:3] = values
    return out


case("assign_slice", put, [rand(3, 4), rand(2)])

# Matrix products and linear algebra.
case("matmul_2d", torch.matmul, [rand(3, 4), rand(4, 2)])
case("matmul_large", torch.matmul, [rand(50, 49), rand(49, 52)])  # above the OpenBLAS threshold
case("matmul_vector_matrix", torch.matmul, [rand(4), rand(4, 3)])
case("matmul_matrix_vector", torch.matmul, [rand(3, 4), rand(4)])
case("matmul_vector_vector", torch.matmul, [rand(4), rand(4)])
case("matmul_batched_broadcast", torch.matmul, [rand(2, 3, 4), rand(4, 5)])
case("dot", torch.dot, [rand(5), rand(5)])
case("outer", torch.outer, [rand(3), rand(4)])
well_conditioned = rand(3, 3) + 4 * torch.eye(3, dtype=dtype)
case("inv", torch.linalg.inv, [well_conditioned])
case("det", torch.linalg.det, [well_conditioned])
case("solve_vector", torch.linalg.solve, [well_conditioned, rand(3)])
case("solve_matrix", torch.linalg.solve, [well_conditioned, rand(3, 2)])

# Neural-network losses. Zero logits check the gradient convention at 0.
case("mse", torch.nn.functional.mse_loss, [rand(4, 2), rand(4, 2)], differentiable=[0, 1])
case("cross_entropy", lambda logits, labels: torch.nn.functional.cross_entropy(logits, labels.long()),
     [rand(4, 3) * 5, torch.tensor([0.0, 2.0, 1.0, 2.0], dtype=dtype)], differentiable=[0])
case("bce_with_logits", torch.nn.functional.binary_cross_entropy_with_logits,
     [torch.tensor([-3.0, 0.0, 0.0, 2.5, 8.0], dtype=dtype), torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0], dtype=dtype)],
     differentiable=[0])


def mlp_loss(x, w1, b1, w2, b2):
    hidden = torch.tanh(x @ w1 + b1)
    return ((hidden @ w2 + b2) ** 2).mean()


case("mlp_loss", mlp_loss, [rand(5, 2), rand(2, 4), rand(4), rand(4, 1), rand(1)])

# Exact Hessians of scalar functions (forward-over-reverse in PyTorch, grad of grad here).
HESSIANS = []
quadratic = rand(3, 3)


def hessian_case(name, fn, x):
    HESSIANS.append({
        "name": name,
        "point": {"shape": list(x.shape), "data": x.flatten().tolist()},
        "hessian": torch.autograd.functional.hessian(fn, x).flatten().tolist(),
    })


hessian_case("saddle", lambda v: v[0] ** 2 - v[1] ** 2, rand(2))
hessian_case("monkey_saddle", lambda v: v[0] ** 3 - 3 * v[0] * v[1] ** 2, rand(2))
hessian_case("tanh_sum", lambda v: (torch.tanh(v) ** 2).sum(), rand(3))
hessian_case("logsumexp", lambda v: torch.logsumexp(v, dim=0), rand(4))
hessian_case("quadratic_form", lambda v: v @ quadratic @ v + torch.sin(v).prod(), rand(3))
hessian_case("softplus_norm", lambda v: torch.nn.functional.softplus(v).sum() * torch.linalg.vector_norm(v), rand(3))

# Eigenvalues of symmetric matrices (eigenvectors compared up to sign in the tests).
symmetric = rand(4, 4)
symmetric = symmetric + symmetric.T
values, vectors = torch.linalg.eigh(symmetric)
EIGEN = {"matrix": symmetric.flatten().tolist(), "values": values.tolist(), "vectors": vectors.flatten().tolist()}


# Our random generator, re-implemented independently: xoshiro256** seeded by SplitMix64,
# uniform from the top 53 bits, normals by Marsaglia's polar method.
def xoshiro_reference(seed, count):
    mask = (1 << 64) - 1
    state = []
    mix = seed
    for _ in range(4):
        mix = (mix + 0x9E3779B97F4A7C15) & mask
        z = mix
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        state.append(z ^ (z >> 31))

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    def next_u64():
        result = (rotl((state[1] * 5) & mask, 7) * 9) & mask
        t = (state[1] << 17) & mask
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result

    uniforms = [(next_u64() >> 11) * 2.0 ** -53 for _ in range(count)]
    normals = []
    while len(normals) < count:
        u = 2 * ((next_u64() >> 11) * 2.0 ** -53) - 1
        v = 2 * ((next_u64() >> 11) * 2.0 ** -53) - 1
        s = u * u + v * v
        if 0 < s < 1:
            scale = math.sqrt(-2 * math.log(s) / s)
            normals += [u * scale, v * scale]
    return uniforms, normals[:count]


uniforms, normals = xoshiro_reference(42, 8)
RANDOM = {"seed": 42, "uniforms": uniforms, "normals_after_uniforms": normals}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_reference.json")
with open(path, "w") as f:
    json.dump({"generator": f"PyTorch {torch.__version__}, float64", "cases": CASES, "hessians": HESSIANS,
               "quadratic": {"shape": [3, 3], "data": quadratic.flatten().tolist()},
               "eigh": EIGEN, "random": RANDOM}, f, separators=(",", ":"))
print(f"wrote {len(CASES)} cases and {len(HESSIANS)} Hessians to {path}")
