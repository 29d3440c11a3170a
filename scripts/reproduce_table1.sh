#!/usr/bin/env bash
# Paper Table 1: sound-classifier test accuracy per representation, 3 and 4 conv layers,
# each trained with the same budget. Writes results/table1.md.
#   scripts/reproduce_table1.sh [--data DIR] [--preset cpu] [--epochs 10] [extra train flags]
# Rerunning skips finished runs (runs/table1/<representation>-<layers>/metrics.json).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUNS=${RUNS:-runs/table1}
OUT=${OUT:-results/table1.md}
ARGS=("$@")
[[ " ${ARGS[*]-} " == *" --epochs"* ]] || ARGS+=(--epochs 10)
for layers in 4 3; do
  for rep in lms ms mfcc cqt stft; do
    echo "== $rep, $layers conv layers"
    "$PY" -m avgan.train --mode=sound_classifier --representation="$rep" \
      --conv_layers="$layers" --model_dir="$RUNS/$rep-$layers" "${ARGS[@]}"
  done
done
"$PY" scripts/write_table1.py "$RUNS" --command "scripts/reproduce_table1.sh ${*-}" > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
