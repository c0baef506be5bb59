#!/usr/bin/env bash
# Poisson problems that are not GP-HM benchmarks, used to check the defaults of `kernelkit fit pde`
# (1-D: learned kernel; 2-D: fixed initial kernel) as a user would run them: the source term and the
# Dirichlet values are written by NumPy (1-D: CSV, source on the grid and the two end values; 2-D: .npy,
# the full-grid u as boundary array), solved by the CLI, and the --out solution is scored against the
# exact u on the test grid (300 points, or 100 x 100; relative L2, final iterate). Nothing here was used
# to choose a default.
#   1-D  a  sin(50x) + 0.2 sin(5x)                 [0, 2π], 400
#        b  x cos(150x)                            [0, 1],  400
#        c  exp(-(x - ½)²/0.01)                    [0, 1],  300
#        d  sin(x) + 0.05 sin(120x)                [0, 2π], 600
#        e  e^(-x) sin(30x)                        [0, 3],  300   (e–h added in session 7)
#        f  cos(80x) + x²                          [0, 2],  500
#        g  tanh(20(x − ½))                        [0, 1],  200
#        h  sin(2x) + 0.02 sin(200x)               [0, 2π], 1000
#   2-D  h1 sin(2πx) + cos(3πy)                     [0, 1]²,  64²
#        h2 sin(40x) sin(15y)                        [0, 2π]², 150²
#        h3 exp(-|p - (½, ½)|²/0.02) + 0.1 sin(50x)  [0, 1]²,  120²
#        h4 sin(60x + 30y)                           [0, 2π]², 200²
#   Benchmarks/pde-heldout.sh 1d|2d [extra fit-pde arguments, e.g. --iterations 60]
# SCRATCH=dir selects the build folder (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=${1:-2d}
shift || true
export OPENBLAS_NUM_THREADS=1
build=${SCRATCH:-.build}
swift build -c release --scratch-path "$build" --product kernelkit >/dev/null
tmp=$(mktemp -d)
problems="$tmp/problems.py"
cat > "$problems" <<'PY'
import numpy as np
from numpy import sin, cos, exp, pi, tanh, cosh
def bump2(X, Y): return exp(-((X - .5)**2 + (Y - .5)**2) / 0.02)
def bump1(x): return exp(-(x - 0.5)**2 / 0.01)
# name: (points, upper end of [0, L], exact u, its Laplacian)
ONE = {
    "a": (400, 2*pi, lambda x: sin(50*x) + 0.2*sin(5*x), lambda x: -2500*sin(50*x) - 5*sin(5*x)),
    "b": (400, 1.0, lambda x: x*cos(150*x), lambda x: -300*sin(150*x) - 22500*x*cos(150*x)),
    "c": (300, 1.0, bump1, lambda x: bump1(x)*(4*(x - 0.5)**2/1e-4 - 2/0.01)),
    "d": (600, 2*pi, lambda x: sin(x) + 0.05*sin(120*x), lambda x: -sin(x) - 720*sin(120*x)),
    # Added in session 7 and first run after every session-7 default was fixed.
    "e": (300, 3.0, lambda x: sin(30*x)*exp(-x), lambda x: exp(-x)*(-899*sin(30*x) - 60*cos(30*x))),
    "f": (500, 2.0, lambda x: cos(80*x) + x**2, lambda x: -6400*cos(80*x) + 2),
    "g": (200, 1.0, lambda x: tanh(20*(x - 0.5)), lambda x: -800*tanh(20*(x - 0.5))/cosh(20*(x - 0.5))**2),
    "h": (1000, 2*pi, lambda x: sin(2*x) + 0.02*sin(200*x), lambda x: -4*sin(2*x) - 800*sin(200*x)),
}
TWO = {
    "h1": (64, 1.0, lambda X, Y: sin(2*pi*X) + cos(3*pi*Y), lambda X, Y: -4*pi**2*sin(2*pi*X) - 9*pi**2*cos(3*pi*Y)),
    "h2": (150, 2*pi, lambda X, Y: sin(40*X)*sin(15*Y), lambda X, Y: -1825*sin(40*X)*sin(15*Y)),
    "h3": (120, 1.0, lambda X, Y: bump2(X, Y) + 0.1*sin(50*X),
           lambda X, Y: bump2(X, Y)*(4*((X - .5)**2 + (Y - .5)**2)/0.02**2 - 4/0.02) - 250*sin(50*X)),
    "h4": (200, 2*pi, lambda X, Y: sin(60*X + 30*Y), lambda X, Y: -4500*sin(60*X + 30*Y)),
}
PY
python3 - "$tmp" "$set_name" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
from problems import ONE, TWO
out, which = sys.argv[1], sys.argv[2]
for name, (n, L, u, lap) in (ONE if which == "1d" else TWO).items():
    x = np.linspace(0, L, n)
    if which == "1d":
        np.savetxt(f"{out}/{name}_f.csv", lap(x))
        np.savetxt(f"{out}/{name}_g.csv", [u(0.0), u(L)])
    else:
        X, Y = np.meshgrid(x, x, indexing="ij")
        np.save(f"{out}/{name}_f.npy", lap(X, Y))
        np.save(f"{out}/{name}_g.npy", u(X, Y))
    print(f"{name} {L!r}", file=open(f"{out}/list", "a"))
PY
while read -r name upper; do
    ext=$([ "$set_name" = 1d ] && echo csv || echo npy)
    test_grid=$([ "$set_name" = 1d ] && echo 300 || echo 100)
    start=$(date +%s.%N)
    "$build/release/kernelkit" fit pde --source "$tmp/${name}_f.$ext" --boundary "$tmp/${name}_g.$ext" --domain "0,$upper" \
        --test-grid "$test_grid" --out "$tmp/${name}_out.csv" "$@" >/dev/null
    end=$(date +%s.%N)
    python3 - "$tmp" "$set_name" "$name" "$start" "$end" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
from problems import ONE, TWO
tmp, which, name, t0, t1 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
d = np.loadtxt(f"{tmp}/{name}_out.csv", delimiter=",", skiprows=1)
exact = ONE[name][2](d[:, 0]) if which == "1d" else TWO[name][2](d[:, 0], d[:, 1])
u = d[:, -1]
print(f"{name}  rel_l2 {np.linalg.norm(u - exact)/np.linalg.norm(exact):.3e}  wall {t1 - t0:.1f} s")
PY
done < "$tmp/list"
rm -rf "$tmp"
