#!/usr/bin/env bash
# Four 2-D Poisson problems that are not GP-HM benchmarks, used to check the 2-D defaults of
# `kernelkit fit pde` (fixed initial kernel) against learning, as a user would run them: the source term
# and the full-grid Dirichlet values are written as .npy (NumPy), solved by the CLI, and the --out
# solution is scored against the exact u on the 100 x 100 test grid (relative L2, final iterate).
#   h1  sin(2πx) + cos(3πy)                     [0, 1]²,  64²
#   h2  sin(40x) sin(15y)                        [0, 2π]², 150²
#   h3  exp(-|p - (½, ½)|²/0.02) + 0.1 sin(50x)  [0, 1]²,  120²
#   h4  sin(60x + 30y)                           [0, 2π]², 200²
#   Benchmarks/pde-heldout.sh [extra fit-pde arguments, e.g. --iterations 60]
# SCRATCH=dir selects the build folder (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
build=${SCRATCH:-.build}
swift build -c release --scratch-path "$build" --product kernelkit >/dev/null
tmp=$(mktemp -d)
python3 - "$tmp" <<'PY'
import sys, numpy as np
from numpy import sin, cos, exp, pi
out = sys.argv[1]
def bump(X, Y): return exp(-((X - .5)**2 + (Y - .5)**2) / 0.02)
problems = {
    "h1": (64, 1, lambda X, Y: sin(2*pi*X) + cos(3*pi*Y), lambda X, Y: -4*pi**2*sin(2*pi*X) - 9*pi**2*cos(3*pi*Y)),
    "h2": (150, 2*pi, lambda X, Y: sin(40*X)*sin(15*Y), lambda X, Y: -1825*sin(40*X)*sin(15*Y)),
    "h3": (120, 1, lambda X, Y: bump(X, Y) + 0.1*sin(50*X),
           lambda X, Y: bump(X, Y)*(4*((X - .5)**2 + (Y - .5)**2)/0.02**2 - 4/0.02) - 250*sin(50*X)),
    "h4": (200, 2*pi, lambda X, Y: sin(60*X + 30*Y), lambda X, Y: -4500*sin(60*X + 30*Y)),
}
for name, (n, hi, u, lap) in problems.items():
    x = np.linspace(0, hi, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    np.save(f"{out}/{name}_f.npy", lap(X, Y))
    np.save(f"{out}/{name}_u.npy", u(X, Y))
PY
for name in h1 h2 h3 h4; do
    case $name in h1|h3) domain=0,1 ;; *) domain=0,6.283185307179586 ;; esac
    start=$(date +%s.%N)
    "$build/release/kernelkit" fit pde --source "$tmp/${name}_f.npy" --boundary "$tmp/${name}_u.npy" --domain "$domain" \
        --test-grid 100 --out "$tmp/${name}_out.csv" "$@" >/dev/null
    end=$(date +%s.%N)
    python3 - "$name" "$tmp/${name}_out.csv" "$start" "$end" <<'PY'
import sys, numpy as np
from numpy import sin, cos, exp, pi
name, path, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
d = np.loadtxt(path, delimiter=",", skiprows=1)
X, Y, U = d[:, 0], d[:, 1], d[:, 2]
exact = {"h1": sin(2*pi*X) + cos(3*pi*Y), "h2": sin(40*X)*sin(15*Y),
         "h3": exp(-((X - .5)**2 + (Y - .5)**2)/0.02) + 0.1*sin(50*X), "h4": sin(60*X + 30*Y)}[name]
print(f"{name}  rel_l2 {np.linalg.norm(U - exact)/np.linalg.norm(exact):.3e}  wall {t1 - t0:.1f} s")
PY
done
rm -rf "$tmp"
