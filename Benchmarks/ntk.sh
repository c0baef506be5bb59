#!/usr/bin/env bash
# NNGP+NTK of the neural-tangents anchor's 3-layer MLP on identical inputs, single thread, process
# CPU time: neural-tangents 0.6.5 (jit, float64) vs KernelKit. Needs the anchor venv described in
# ../shared/anchors/README.md at ~/.cache/kk-anchors/nt (not part of CI).
#   Benchmarks/ntk.sh [n ...]     default n = 1000 2000 4000, d = 784, phi = Relu
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
PY=${NT_PYTHON:-$HOME/.cache/kk-anchors/nt/bin/python}
SCRIPT=${NT_SCRIPT:-../shared/anchors/nt_kernel_time.py}
phi=${PHI:-Relu}
swift build -c release --product kernelkit-bench >/dev/null
tmp=$(mktemp -d)
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 2000 4000)
for nn in "${sizes[@]}"; do
    nt=$(XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1' "$PY" "$SCRIPT" --phi "$phi" --n "$nn" --save-x "$tmp/x$nn.npy" 2>/dev/null | tail -1)
    kk=$(.build/release/kernelkit-bench ntk "$tmp/x$nn.npy" "$phi" 3)
    python3 - "$nt" "$kk" <<'PY'
import json, sys
nt, kk = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"n={nt['n']:5d} phi={nt['phi']}: neural-tangents {nt['cpu_s']:.3f} s, KernelKit {kk['cpu_s']:.3f} s, speed-up {nt['cpu_s']/kk['cpu_s']:.2f}x")
PY
done
rm -rf "$tmp"
