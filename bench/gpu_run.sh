#!/usr/bin/env bash
# Every notebook in full on one NVIDIA GPU under JAX (make run-gpu), with the wall time of each.
#
# NOT MEASURED YET: no GPU machine was available to this project, so bench/RESULTS.md claims no GPU time.
#
# Install, once, on a Linux machine with an NVIDIA GPU and a CUDA 12 driver (nvidia-smi works):
#   make venv                                        # .venv with requirements.txt (TensorFlow CPU, JAX CPU)
#   .venv/bin/pip install "jax[cuda12]==0.10.2"      # the same JAX as requirements.txt, with its CUDA 12 wheels
#                                                    # (they bring CUDA and cuDNN; no system CUDA toolkit needed)
#   .venv/bin/python -c "import jax; print(jax.devices())"   # must list a CudaDevice
# The Keras cache must hold the data sets (README, "Data and working offline").
#
# Run:  make run-gpu                 (or: bash bench/gpu_run.sh notebooks/04_*.ipynb)
# Out:  build/jax/<notebook>.ipynb and build/jax/results/*.json (make run BACKEND=jax's folder: the committed
#       notebooks and results stay TensorFlow runs), and build/gpu_times.json: seconds per notebook.
# TensorFlow (imported by `import aeutils`) is not used for training here; should it find the CUDA wheels too,
# TF_FORCE_GPU_ALLOW_GROWTH keeps it from reserving the card's memory.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=jax
export XLA_PYTHON_CLIENT_PREALLOCATE=false   # share the card between the notebook kernel and its child processes
export TF_CPP_MIN_LOG_LEVEL=3
export TF_FORCE_GPU_ALLOW_GROWTH=true

"$PY" - <<'EOF'
import jax
gpus = [d for d in jax.devices() if d.platform == "gpu"]
if not gpus:
    raise SystemExit(f"bench/gpu_run.sh: JAX sees no GPU ({jax.devices()}); install jax[cuda12] first (see this script's header)")
print("JAX devices:", gpus)
EOF

if [ "$#" -eq 0 ]; then
  set -- $(ls notebooks/[0-9][0-9]_*.ipynb notebooks/[0-9][0-9][a-z]_*.ipynb 2>/dev/null | sort)
fi
mkdir -p build
times=build/gpu_times.json.tmp
echo "{" > "$times"
first=1
status=0
for nb in "$@"; do
  start=$(date +%s)
  if "$PY" -m tools.runner --backend jax --timeout 3600 "$nb"; then ok=true; else ok=false; status=1; fi
  seconds=$(( $(date +%s) - start ))
  [ $first -eq 1 ] || echo "," >> "$times"
  first=0
  printf '  "%s": {"seconds": %d, "ok": %s}' "$(basename "$nb" .ipynb)" "$seconds" "$ok" >> "$times"
done
printf '\n}\n' >> "$times"
mv "$times" build/gpu_times.json
cat build/gpu_times.json
exit $status
