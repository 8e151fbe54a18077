"""NumPy (and, when installed, PyTorch) counterparts of tensor.dsc: the same kernels and the same
2-32-32-1 tanh MLP training step (forward + backward; hand-written backprop for NumPy), each
timed inside the program as the median of repeats. Prints one JSON object per library."""
import json
import time

import numpy as np


def seconds_per_call(f, calls, repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            f()
        samples.append((time.perf_counter() - start) / calls)
    return sorted(samples)[repeats // 2]


rng = np.random.default_rng(0)
A, B = rng.standard_normal((512, 512)), rng.standard_normal((512, 512))
x, y, z = (rng.standard_normal(1_000_000) for _ in range(3))
small_a, small_b = rng.standard_normal((32, 32)), rng.standard_normal((32, 32))
X, Y = rng.standard_normal((32, 2)), rng.standard_normal((32, 1))
sizes = [2, 32, 32, 1]
params = []
for fan_in, fan_out in zip(sizes, sizes[1:]):
    bound = np.sqrt(6 / (fan_in + fan_out))
    params += [rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)]


def numpy_step():
    W1, b1, W2, b2, W3, b3 = params
    h1 = np.tanh(X @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    out = h2 @ W3 + b3
    diff = out - Y
    loss = (diff ** 2).mean()
    d_out = 2 * diff / diff.size
    dW3, db3 = h2.T @ d_out, d_out.sum(0)
    d_h2 = (d_out @ W3.T) * (1 - h2 ** 2)
    dW2, db2 = h1.T @ d_h2, d_h2.sum(0)
    d_h1 = (d_h2 @ W2.T) * (1 - h1 ** 2)
    dW1, db1 = X.T @ d_h1, d_h1.sum(0)
    return loss, (dW1, db1, dW2, db2, dW3, db3)


# Adam as torch.optim.Adam computes it, for the NumPy side.
adam_state = {"t": 0, "m": [np.zeros_like(p) for p in params], "v": [np.zeros_like(p) for p in params]}


def numpy_adam(gradients, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    adam_state["t"] += 1
    t = adam_state["t"]
    for p, g, m, v in zip(params, gradients, adam_state["m"], adam_state["v"]):
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * g * g
        p -= lr / (1 - beta1 ** t) * (m / (np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps))


numpy_gradients = numpy_step()[1]


def numpy_training_step():
    numpy_adam(numpy_step()[1])


results = {"numpy": {
    "add_1e6": seconds_per_call(lambda: x + y, 10, 9),
    "multiply_add_1e6": seconds_per_call(lambda: x * y + z, 10, 9),
    "tanh_1e6": seconds_per_call(lambda: np.tanh(x), 5, 9),
    "exp_1e6": seconds_per_call(lambda: np.exp(x), 5, 9),
    "sum_1e6": seconds_per_call(lambda: x.sum(), 20, 9),
    "max_1e6": seconds_per_call(lambda: x.max(), 20, 9),
    "add_32x32": seconds_per_call(lambda: small_a + small_b, 2000, 9),
    "matmul_32x32": seconds_per_call(lambda: small_a @ small_b, 2000, 9),
    "mlp_step": seconds_per_call(numpy_step, 200, 9),
    "adam_update": seconds_per_call(lambda: numpy_adam(numpy_gradients), 200, 9),
    "training_step": seconds_per_call(numpy_training_step, 200, 9),
    "matmul_512": seconds_per_call(lambda: A @ B, 5, 9),
}}

try:
    import torch
    torch.set_default_dtype(torch.float64)
    tp = [torch.tensor(p, requires_grad=True) for p in params]
    tX, tY = torch.tensor(X), torch.tensor(Y)

    def torch_step():
        h = torch.tanh(tX @ tp[0] + tp[1])
        h = torch.tanh(h @ tp[2] + tp[3])
        loss = ((h @ tp[4] + tp[5] - tY) ** 2).mean()
        return loss, torch.autograd.grad(loss, tp)

    torch_adam = torch.optim.Adam(tp, lr=0.01)
    torch_gradients = torch_step()[1]

    def torch_adam_update():
        for p, g in zip(tp, torch_gradients):
            p.grad = g
        torch_adam.step()

    def torch_training_step():
        torch_adam.zero_grad()
        h = torch.tanh(tX @ tp[0] + tp[1])
        h = torch.tanh(h @ tp[2] + tp[3])
        ((h @ tp[4] + tp[5] - tY) ** 2).mean().backward()
        torch_adam.step()

    results["pytorch"] = {"mlp_step": seconds_per_call(torch_step, 200, 9),
                          "adam_update": seconds_per_call(torch_adam_update, 200, 9),
                          "training_step": seconds_per_call(torch_training_step, 200, 9)}
except ImportError:
    pass

print(json.dumps(results))
