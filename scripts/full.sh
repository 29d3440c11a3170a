#!/usr/bin/env bash
# The `avgan` recipe's headline runs on the larger synthetic ensemble `full` (issue #21):
# builds it (first run only; ~2 min), trains the encoders on it, then S2I-C and I2S with
# the cpu preset, evaluates each and keeps their summaries and sample grids in
# results/full/, which results/REPORT.md quotes. One run at a time; rerunning skips
# finished steps and resumes a killed run.
#   scripts/full.sh                    # ~3 h on 2 CPU cores
# Environment: RUN (default runs/full), PRESET (default cpu), SETUP=0 skips set-up,
# ONLY="NAME ..." trains and evaluates only the GAN runs named (s2i-c-avgan, i2s-avgan).
set -euo pipefail

main() {  # the whole script: bash reads a function whole, so editing the file while a
          # measurement runs cannot change what that run executes
cd "$(dirname "$0")/.."
if [ "${SETUP:-1}" != 0 ]; then
  source scripts/setup.sh fluidsynth timgm6mb-soundfont
fi
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
RUN=${RUN:-runs/full}
PRESET=${PRESET:-cpu}
OUT=results/full
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
mkdir -p "$RUN" "$OUT"
DATA=(--synthetic_preset=full)

# The encoders, trained on `full`: 95.7% (sound) and 96.2% (image) of held-out
# recordings (docs/design.md §9). 12 image-classifier epochs here are ~2,700 steps,
# more than `small`'s 60.
echo "=== encoders $(date +%T)"
"$PY" -m avgan.train --preset="$PRESET" "${DATA[@]}" --mode=sound_classifier \
  --representation=lms --epochs=8 --model_dir="$RUN/sound_classifier" >> "$RUN/encoders.log" 2>&1
"$PY" -m avgan.train --preset="$PRESET" "${DATA[@]}" --mode=image_classifier --epochs=12 \
  --model_dir="$RUN/image_classifier" >> "$RUN/encoders.log" 2>&1
ENC=(--sound_encoder="$RUN/sound_classifier/encoder.keras"
     --image_encoder="$RUN/image_classifier/encoder.keras")

run() {  # run NAME FLAGS...: train into $RUN/NAME, evaluate it once, keep its summaries
  local name=$1
  shift
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then
    return 0
  fi
  echo "=== $name $(date +%T)"
  "$PY" -m avgan.train --preset="$PRESET" "${DATA[@]}" "${ENC[@]}" "$@" \
    --model_dir="$RUN/$name" >> "$RUN/$name.log" 2>&1
  if [ ! -f "$RUN/$name/evaluation.json" ]; then
    "$PY" -m avgan.evaluate --model_dir="$RUN/$name" > "$RUN/$name.eval.log" 2>&1
  fi
  rm -rf "${OUT:?}/$name"
  mkdir -p "$OUT/$name/encoders"
  cp "$RUN/$name"/{config,metrics,evaluation}.json "$OUT/$name/"
  cp "$RUN/sound_classifier/metrics.json" "$OUT/$name/encoders/sound_classifier.json"
  cp "$RUN/image_classifier/metrics.json" "$OUT/$name/encoders/image_classifier.json"
  cp "$RUN/$name/samples_test.png" "$OUT/samples_$name.png"
}

# 225 steps an epoch: S2I-C 13 epochs (2,925 steps, the 2,880 of `small`'s budget),
# I2S 4 epochs (900 steps, `small`'s 864).
run s2i-c-avgan --mode=s2i --variant=c --recipe=avgan --epochs=13 --eval_every=1
run i2s-avgan --mode=i2s --recipe=avgan --epochs=4 --eval_every=1

"$PY" scripts/write_report.py results/runs > /dev/null  # REPORT.md quotes results/full
echo "wrote $OUT and results/REPORT.md"
}

main "$@"; exit  # never read past this line, even if the file changes meanwhile
