#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build KernelKit: the C libraries it links
# (OpenBLAS, LAPACKE, FFTW3, GSL). Swift 6.3 itself is expected on PATH.
# Safe to run repeatedly: it installs only what is missing.
set -euo pipefail
packages=(libopenblas-dev liblapacke-dev libfftw3-dev libgsl-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.3 is required)" >&2; exit 1; }
