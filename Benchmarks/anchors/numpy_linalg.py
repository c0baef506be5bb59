#!/usr/bin/env python3
"""Anchor timings for the shared linear-algebra layer: numpy/scipy on the same operations and sizes
as `kernelkit-bench linalg`. Single thread (run with OPENBLAS_NUM_THREADS=1), process CPU time,
min over repetitions. Prints one JSON object per line: {"name", "n", "cpu_s"}.

Usage: OPENBLAS_NUM_THREADS=1 python3 numpy_linalg.py [reps]
"""
import json, sys, time
import numpy as np
import scipy.special as sp

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = np.random.default_rng(0)

def best(f):
    t = 1e9
    for _ in range(reps):
        c = time.process_time(); f(); t = min(t, time.process_time() - c)
    return t

def emit(name, n, t):
    print(json.dumps(dict(name=name, n=n, cpu_s=t)), flush=True)

for n in (500, 1000, 2000):
    a = np.asfortranarray(rng.standard_normal((n, n))); b = np.asfortranarray(rng.standard_normal((n, n)))
    emit("gemm", n, best(lambda: a @ b))
    emit("syrk", n, best(lambda: a @ a.T))          # numpy dispatches A·Aᵀ to dsyrk
    spd = a @ a.T + n * np.eye(n)
    emit("potrf", n, best(lambda: np.linalg.cholesky(spd)))
m = 10**7
u = rng.uniform(-1, 1, m); z = rng.uniform(-6, 6, m); e = rng.uniform(-700, 700, m); p = rng.uniform(1e-300, 1e3, m)
emit("acos", m, best(lambda: np.arccos(u)))
emit("asin", m, best(lambda: np.arcsin(u)))
emit("erf", m, best(lambda: sp.erf(z)))
emit("exp", m, best(lambda: np.exp(e)))
emit("log", m, best(lambda: np.log(p)))
