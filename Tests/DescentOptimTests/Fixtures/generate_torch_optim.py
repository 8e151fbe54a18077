#!/usr/bin/env python3
"""Writes torch_optim.json: what torch.optim and torch.optim.lr_scheduler do, in float64, for
DescentOptimTests to compare against.

Optimizers: for every optimizer and option combination, trajectories on a quadratic, the
Rosenbrock function and a saddle, with the gradient PyTorch computed at every step (so the test
can feed the same gradients) and the parameters after it. Schedules: the learning rate after
t = 0 ... 199 calls of scheduler.step() for every schedule and mode, and ReduceLROnPlateau fed a
fixed metric sequence. Run with: python3 generate_torch_optim.py
(needs `pip install 'torch==2.13.0+cpu'`; only the JSON is committed).
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)

QUADRATIC = torch.tensor([[3.0, 0.5], [0.5, 0.4]])


def quadratic(x):
    return 0.5 * x @ QUADRATIC @ x + x.sum()


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def saddle(x):
    return x[0] ** 2 - x[1] ** 2 + 0.25 * x[1] ** 4


PROBLEMS = {
    "quadratic": (quadratic, [1.5, -2.0]),
    "rosenbrock": (rosenbrock, [-1.5, 2.0]),
    "saddle": (saddle, [0.3, 1e-3]),
}

# (name, torch class, options, learning rate per problem)
OPTIMIZERS = [
    ("sgd", torch.optim.SGD, {}, {"quadratic": 0.1, "rosenbrock": 1e-3, "saddle": 0.05}),
    ("sgd", torch.optim.SGD, {"momentum": 0.9}, {"quadratic": 0.05, "rosenbrock": 2e-4, "saddle": 0.05}),
    ("sgd", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}, {"quadratic": 0.05, "rosenbrock": 2e-4, "saddle": 0.05}),
    ("sgd", torch.optim.SGD, {"momentum": 0.8, "dampening": 0.3}, {"quadratic": 0.05, "rosenbrock": 2e-4, "saddle": 0.05}),
    ("sgd", torch.optim.SGD, {"momentum": 0.5, "weight_decay": 0.1, "nesterov": True}, {"quadratic": 0.05, "rosenbrock": 2e-4, "saddle": 0.05}),
    ("sgd", torch.optim.SGD, {"weight_decay": 0.2}, {"quadratic": 0.1, "rosenbrock": 1e-3, "saddle": 0.05}),
    ("sgd", torch.optim.SGD, {"maximize": True}, {"quadratic": 0.01, "rosenbrock": 1e-5, "saddle": 0.01}),
    ("adagrad", torch.optim.Adagrad, {}, {"quadratic": 0.5, "rosenbrock": 0.1, "saddle": 0.1}),
    ("adagrad", torch.optim.Adagrad, {"lr_decay": 0.05}, {"quadratic": 0.5, "rosenbrock": 0.1, "saddle": 0.1}),
    ("adagrad", torch.optim.Adagrad, {"weight_decay": 0.1, "initial_accumulator_value": 0.5}, {"quadratic": 0.5, "rosenbrock": 0.1, "saddle": 0.1}),
    ("adagrad", torch.optim.Adagrad, {"eps": 1e-3}, {"quadratic": 0.5, "rosenbrock": 0.1, "saddle": 0.1}),
    ("rmsprop", torch.optim.RMSprop, {}, {"quadratic": 0.01, "rosenbrock": 0.01, "saddle": 0.01}),
    ("rmsprop", torch.optim.RMSprop, {"momentum": 0.9}, {"quadratic": 0.01, "rosenbrock": 0.001, "saddle": 0.01}),
    ("rmsprop", torch.optim.RMSprop, {"centered": True}, {"quadratic": 0.01, "rosenbrock": 0.01, "saddle": 0.01}),
    ("rmsprop", torch.optim.RMSprop, {"centered": True, "momentum": 0.5, "weight_decay": 0.1}, {"quadratic": 0.01, "rosenbrock": 0.001, "saddle": 0.01}),
    ("rmsprop", torch.optim.RMSprop, {"alpha": 0.9, "eps": 1e-4}, {"quadratic": 0.01, "rosenbrock": 0.01, "saddle": 0.01}),
    ("adadelta", torch.optim.Adadelta, {}, {"quadratic": 1.0, "rosenbrock": 1.0, "saddle": 1.0}),
    ("adadelta", torch.optim.Adadelta, {"rho": 0.5, "eps": 1e-3}, {"quadratic": 1.0, "rosenbrock": 1.0, "saddle": 1.0}),
    ("adadelta", torch.optim.Adadelta, {"weight_decay": 0.1}, {"quadratic": 0.5, "rosenbrock": 0.5, "saddle": 0.5}),
    ("adam", torch.optim.Adam, {}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("adam", torch.optim.Adam, {"betas": (0.3, 0.9)}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("adam", torch.optim.Adam, {"amsgrad": True}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("adam", torch.optim.Adam, {"weight_decay": 0.1, "betas": (0.5, 0.9)}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("adam", torch.optim.Adam, {"eps": 1e-3, "maximize": True}, {"quadratic": 0.01, "rosenbrock": 0.001, "saddle": 0.01}),
    ("adamw", torch.optim.AdamW, {}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("adamw", torch.optim.AdamW, {"weight_decay": 0.3, "amsgrad": True}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("adamax", torch.optim.Adamax, {}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("adamax", torch.optim.Adamax, {"weight_decay": 0.1, "betas": (0.8, 0.99)}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("nadam", torch.optim.NAdam, {}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("nadam", torch.optim.NAdam, {"momentum_decay": 0.01, "weight_decay": 0.1}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("nadam", torch.optim.NAdam, {"weight_decay": 0.1, "decoupled_weight_decay": True}, {"quadratic": 0.1, "rosenbrock": 0.05, "saddle": 0.05}),
    ("radam", torch.optim.RAdam, {}, {"quadratic": 0.1, "rosenbrock": 5e-4, "saddle": 0.05}),
    ("radam", torch.optim.RAdam, {"betas": (0.9, 0.99), "weight_decay": 0.1}, {"quadratic": 0.1, "rosenbrock": 5e-4, "saddle": 0.05}),
    ("radam", torch.optim.RAdam, {"weight_decay": 0.1, "decoupled_weight_decay": True}, {"quadratic": 0.1, "rosenbrock": 5e-4, "saddle": 0.05}),
]


def trajectory(cls, options, lr, problem, steps):
    f, start = PROBLEMS[problem]
    x = torch.tensor(start, requires_grad=True)
    opt = cls([x], lr=lr, **options)
    gradients, points, losses = [], [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        gradients.append(x.grad.tolist())
        losses.append(loss.item())
        opt.step()
        points.append(x.detach().tolist())
    return {"gradients": gradients, "points": points, "losses": losses}


optimizer_cases = []
for name, cls, options, lrs in OPTIMIZERS:
    for problem in PROBLEMS:
        case = {"optimizer": name, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
                "problem": problem, "lr": lrs[problem], "start": PROBLEMS[problem][1]}
        case.update(trajectory(cls, options, lrs[problem], problem, 30))
        optimizer_cases.append(case)
# 100-step runs with the defaults, for the closed-loop check (our gradients, our optimizer).
long_runs = []
for name, cls, options, lrs in OPTIMIZERS:
    if options:
        continue
    case = {"optimizer": name, "options": {}, "problem": "quadratic", "lr": lrs["quadratic"], "start": PROBLEMS["quadratic"][1]}
    case.update(trajectory(cls, {}, lrs["quadratic"], "quadratic", 100))
    long_runs.append(case)

# Two parameter tensors stepped together: the state is kept per tensor.
w = torch.tensor([[0.5, -1.0], [2.0, 0.1]], requires_grad=True)
b = torch.tensor([0.3, -0.2, 0.7], requires_grad=True)
adam = torch.optim.Adam([w, b], lr=0.05, amsgrad=True)
structured = {"start": [w.detach().flatten().tolist(), b.detach().tolist()], "gradients": [], "points": []}
for _ in range(20):
    adam.zero_grad()
    loss = (w ** 2).sum() * b.sum() + (b ** 3).sum()
    loss.backward()
    structured["gradients"].append([w.grad.flatten().tolist(), b.grad.tolist()])
    adam.step()
    structured["points"].append([w.detach().flatten().tolist(), b.detach().tolist()])


def rates(make, steps=200):
    """The learning rate after 0 .. steps-1 calls of scheduler.step()."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    scheduler = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return out


S = torch.optim.lr_scheduler
SCHEDULES = {
    "step_lr": ({"lr": 0.1, "step_size": 7, "gamma": 0.5}, lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
    "step_lr_every_step": ({"lr": 0.1, "step_size": 1, "gamma": 0.97}, lambda o: S.StepLR(o, step_size=1, gamma=0.97)),
    "multistep_lr_repeated": ({"lr": 0.1, "milestones": [10, 30, 30, 80], "gamma": 0.5},
                              lambda o: S.MultiStepLR(o, milestones=[10, 30, 30, 80], gamma=0.5)),
    "multistep_lr_at_zero": ({"lr": 0.1, "milestones": [0, 5], "gamma": 0.1},
                             lambda o: S.MultiStepLR(o, milestones=[0, 5], gamma=0.1)),
    "exponential_lr": ({"lr": 0.1, "gamma": 0.97}, lambda o: S.ExponentialLR(o, gamma=0.97)),
    "constant_lr": ({"lr": 0.1, "factor": 0.25, "total_iters": 20}, lambda o: S.ConstantLR(o, factor=0.25, total_iters=20)),
    "linear_lr_warmup": ({"lr": 0.1, "start_factor": 0.01, "end_factor": 1.0, "total_iters": 50},
                         lambda o: S.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=50)),
    "linear_lr_decay": ({"lr": 0.1, "start_factor": 1.0, "end_factor": 0.1, "total_iters": 30},
                        lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=30)),
    "polynomial_lr": ({"lr": 0.1, "total_iters": 100, "power": 2.0}, lambda o: S.PolynomialLR(o, total_iters=100, power=2.0)),
    "polynomial_lr_linear": ({"lr": 0.1, "total_iters": 50, "power": 1.0}, lambda o: S.PolynomialLR(o, total_iters=50, power=1.0)),
    "cosine_lr_past_t_max": ({"lr": 0.1, "t_max": 50, "eta_min": 0.001}, lambda o: S.CosineAnnealingLR(o, T_max=50, eta_min=0.001)),
    "cosine_lr": ({"lr": 0.1, "t_max": 200, "eta_min": 0.0}, lambda o: S.CosineAnnealingLR(o, T_max=200)),
    "cosine_restarts_lr": ({"lr": 0.1, "t_0": 10, "t_mult": 2, "eta_min": 0.001},
                           lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001)),
    "cosine_restarts_lr_fixed": ({"lr": 0.1, "t_0": 25, "t_mult": 1, "eta_min": 0.0},
                                 lambda o: S.CosineAnnealingWarmRestarts(o, T_0=25)),
    "cyclic_lr_triangular": ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 20, "step_size_down": 30, "mode": "triangular", "gamma": 1.0},
                             lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=20, step_size_down=30)),
    "cyclic_lr_triangular2": ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 15, "step_size_down": None, "mode": "triangular2", "gamma": 1.0},
                              lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=15, mode="triangular2")),
    "cyclic_lr_exp_range": ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10, "step_size_down": None, "mode": "exp_range", "gamma": 0.99},
                            lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10, mode="exp_range", gamma=0.99)),
    "one_cycle_lr": ({"max_lr": 0.1, "total_steps": 200, "pct_start": 0.3, "anneal_strategy": "cos", "div_factor": 25.0,
                      "final_div_factor": 1e4, "three_phase": False},
                     lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=200)),
    "one_cycle_lr_linear_three_phase": ({"max_lr": 0.1, "total_steps": 200, "pct_start": 0.25, "anneal_strategy": "linear",
                                         "div_factor": 10.0, "final_div_factor": 100.0, "three_phase": True},
                                        lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=200, pct_start=0.25, anneal_strategy="linear",
                                                               div_factor=10.0, final_div_factor=100.0, three_phase=True)),
    "lambda_lr": ({"lr": 0.1}, lambda o: S.LambdaLR(o, lambda t: 0.95 ** t)),
    "sequential_warmup_cosine": ({"lr": 0.1, "milestones": [5]},
                                 lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.01, total_iters=5), S.CosineAnnealingLR(o, T_max=95)], milestones=[5])),
    "sequential_three": ({"lr": 0.1, "milestones": [10, 50]},
                         lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=3), S.ExponentialLR(o, gamma=0.9),
                                                      S.StepLR(o, step_size=20, gamma=0.5)], milestones=[10, 50])),
    "warmup_cosine": ({"lr": 0.1, "warmup": 10, "total": 150, "eta_min": 0.001},
                      lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=10),
                                                   S.CosineAnnealingLR(o, T_max=140, eta_min=0.001)], milestones=[10])),
}

schedules = {name: {"arguments": arguments, "rates": rates(make)} for name, (arguments, make) in SCHEDULES.items()}
# Keras' InverseTimeDecay has no PyTorch counterpart: its formula, written out independently.
schedules["inverse_time_lr"] = {"arguments": {"lr": 0.1, "decay_rate": 0.5, "decay_steps": 10, "staircase": False},
                                "rates": [0.1 / (1 + 0.5 * t / 10) for t in range(200)]}
schedules["inverse_time_lr_staircase"] = {"arguments": {"lr": 0.1, "decay_rate": 0.5, "decay_steps": 10, "staircase": True},
                                          "rates": [0.1 / (1 + 0.5 * (t // 10)) for t in range(200)]}

# ReduceLROnPlateau fed one metric per epoch.
metrics = [1.0, 0.9, 0.85, 0.84, 0.84, 0.845, 0.839, 0.84, 0.841, 0.5, 0.5, 0.5, 0.5, 0.49, 0.49, 0.49, 0.49, 0.49,
           0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
PLATEAUS = {
    "plateau_default": {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel", "cooldown": 0, "min_lr": 0.0, "eps": 1e-8},
    "plateau_cooldown": {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-4, "threshold_mode": "rel", "cooldown": 2, "min_lr": 0.0, "eps": 1e-8},
    "plateau_abs_threshold": {"mode": "min", "factor": 0.5, "patience": 1, "threshold": 0.02, "threshold_mode": "abs", "cooldown": 0, "min_lr": 0.01, "eps": 1e-8},
    "plateau_max": {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.01, "threshold_mode": "rel", "cooldown": 1, "min_lr": 0.0, "eps": 1e-8},
}
plateaus = {}
for name, options in PLATEAUS.items():
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    scheduler = S.ReduceLROnPlateau(opt, **options)
    out = []
    for metric in metrics:
        opt.step()
        scheduler.step(metric)
        out.append(opt.param_groups[0]["lr"])
    plateaus[name] = {"arguments": dict(options, lr=0.1), "metrics": metrics, "rates": out}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_optim.json")
with open(path, "w") as f:
    json.dump({"generator": f"PyTorch {torch.__version__}, float64", "optimizers": optimizer_cases, "long_runs": long_runs,
               "structured": structured, "schedules": schedules, "plateaus": plateaus}, f, separators=(",", ":"))
print(f"wrote {len(optimizer_cases)} trajectories, {len(long_runs)} long runs, {len(schedules)} schedules, {len(plateaus)} plateaus")
