#!/usr/bin/env bash
# Runs kernelkit-bench and the numpy anchor side by side (single thread, process CPU time) and
# prints the ratio KernelKit / numpy for each operation (< 1 means KernelKit is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
reps=${1:-5}
swift build -c release --product kernelkit-bench >/dev/null
kk=$(.build/release/kernelkit-bench linalg "$reps")
np=$(python3 Benchmarks/anchors/numpy_linalg.py "$reps")
python3 - "$kk" "$np" <<'PY'
import json, sys
kk = {(d["name"], d["n"]): d["cpu_s"] for d in map(json.loads, sys.argv[1].splitlines())}
np = {(d["name"], d["n"]): d["cpu_s"] for d in map(json.loads, sys.argv[2].splitlines())}
print(f"{'operation':10} {'n':>9} {'KernelKit s':>12} {'numpy s':>10} {'ratio':>7}")
for k in kk:
    if k in np:
        print(f"{k[0]:10} {k[1]:>9} {kk[k]:12.4f} {np[k]:10.4f} {kk[k]/np[k]:7.2f}")
PY
