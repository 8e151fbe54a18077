"""train.dsc's training loop in NumPy: a 2-32-32-1 tanh MLP on 512 two-moons points, mini-batches
of 32 reshuffled every epoch, hand-written backprop of the binary cross-entropy with logits, and
Adam as torch.optim.Adam computes it (lr 0.01), 50 epochs (800 steps), float64. Prints the final
loss and the seconds the loop took."""
import json
import time

import numpy as np

rng = np.random.default_rng(0)


def make_moons(n, noise):
    """scikit-learn's two interleaving half moons, shuffled."""
    outer, inner = n // 2, n - n // 2
    angles_outer = np.linspace(0, np.pi, outer)
    angles_inner = np.linspace(0, np.pi, inner)
    X = np.concatenate([np.stack([np.cos(angles_outer), np.sin(angles_outer)], 1),
                        np.stack([1 - np.cos(angles_inner), 0.5 - np.sin(angles_inner)], 1)])
    y = np.concatenate([np.zeros(outer), np.ones(inner)])
    X += rng.normal(0, noise, X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


X, y = make_moons(512, noise=0.1)
Y = y.reshape(-1, 1)
sizes = [2, 32, 32, 1]
params = []
for fan_in, fan_out in zip(sizes, sizes[1:]):
    bound = np.sqrt(6 / (fan_in + fan_out))
    params += [rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)]


def forward(params, xb):
    W1, b1, W2, b2, W3, b3 = params
    h1 = np.tanh(xb @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    return h1, h2, h2 @ W3 + b3


def loss_of(logits, yb):
    return float(np.mean(np.logaddexp(0, logits) - yb * logits))


def loss_gradient(params, xb, yb):
    W1, b1, W2, b2, W3, b3 = params
    h1, h2, logits = forward(params, xb)
    d_out = (1 / (1 + np.exp(-logits)) - yb) / logits.size
    dW3, db3 = h2.T @ d_out, d_out.sum(0)
    d_h2 = (d_out @ W3.T) * (1 - h2 ** 2)
    dW2, db2 = h1.T @ d_h2, d_h2.sum(0)
    d_h1 = (d_h2 @ W2.T) * (1 - h1 ** 2)
    dW1, db1 = xb.T @ d_h1, d_h1.sum(0)
    return dW1, db1, dW2, db2, dW3, db3


class Adam:
    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, gradients):
        beta1, beta2 = self.betas
        self.t += 1
        for p, g, m, v in zip(self.params, gradients, self.m, self.v):
            m += (1 - beta1) * (g - m)
            v *= beta2
            v += (1 - beta2) * g * g
            p -= self.lr / (1 - beta1 ** self.t) * (m / (np.sqrt(v) / np.sqrt(1 - beta2 ** self.t) + self.eps))


opt = Adam(params, lr=0.01)
start = time.perf_counter()
for epoch in range(50):
    order = rng.permutation(len(X))
    for first in range(0, len(X), 32):
        batch = order[first:first + 32]
        opt.step(loss_gradient(params, X[batch], Y[batch]))
seconds = time.perf_counter() - start
print(json.dumps({"loss": loss_of(forward(params, X)[2], Y), "steps": opt.t, "loop_seconds": seconds}))
