#!/usr/bin/env bash
# The main job on the embedded default, from a fresh machine, in six stages, each with a
# header: set up, build the synthetic ensemble (first run only), train the sound encoder,
# train the image classifier, train S2I-C (the default `avgan` recipe), which writes a
# grid of generated pictures for held-out sounds next to the real ones, and export it
# for the demo page (avgan-demo), whose command it prints last.
#   scripts/quickstart.sh            # 15 min on 2 CPU cores from a fresh clone (measured)
# Output: runs/quickstart/ (TensorBoard logs in runs/quickstart/*/logs) and
# runs/quickstart/s2i-c/samples_test.png. Rerunning resumes or skips finished steps.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n== %s/6 %s ==\n' "$1" "$2"; }

stage 1 "setting up: Debian packages and the Python environment"
source scripts/setup.sh fluidsynth timgm6mb-soundfont

RUN=${RUN:-runs/quickstart}
PY="$VENV/bin/python"
EPOCHS=${EPOCHS:-40}
# Where avgan-train finds the synthetic ensemble when given no --data; built here first,
# in a step of its own, rather than inside the first training command.
DATA=$("$PY" -c 'from avgan.data.synthetic import build; print(build.default_root("small", 0))')
stage 2 "building the synthetic data set in $DATA (first run only)"
"$PY" -m avgan.data.synthetic --out "$DATA" --preset small
# The S2I GAN conditions on a log-mel sound classifier and is judged by an image
# classifier; the quickstart preset is the cpu preset (width 32) with short training.
stage 3 "training the sound classifier (8 epochs) into $RUN/sound_classifier"
"$PY" -m avgan.train --mode=sound_classifier --preset=cpu --epochs=8 --model_dir="$RUN/sound_classifier"
stage 4 "training the image classifier (20 epochs) into $RUN/image_classifier"
"$PY" -m avgan.train --mode=image_classifier --preset=cpu --epochs=20 --model_dir="$RUN/image_classifier"
stage 5 "training S2I-C ($EPOCHS epochs, the avgan recipe) into $RUN/s2i-c"
"$PY" -m avgan.train --mode=s2i --variant=c --preset=cpu --epochs="$EPOCHS" \
  --sound_encoder="$RUN/sound_classifier/encoder.keras" \
  --image_encoder="$RUN/image_classifier/encoder.keras" --model_dir="$RUN/s2i-c"
stage 6 "exporting S2I-C for the demo page (SavedModel, no TFLite) into $RUN/export"
# A new version only when training has gone on since the last export (versions are final).
if [ ! -d "$RUN/export/s2i" ] || [ "$RUN/s2i-c/checkpoints/checkpoint" -nt "$RUN/export/s2i" ]; then
  "$PY" -m avgan.export_main --model_dir="$RUN/s2i-c" --out="$RUN/export"
else
  echo "up to date: $RUN/export/s2i is newer than the last checkpoint"
fi
echo
echo "held-out sounds, real (left) and generated (right): $RUN/s2i-c/samples_test.png"
echo "TensorBoard: $VENV/bin/tensorboard --logdir $RUN"
echo "try it in a browser: $VENV/bin/avgan-demo --models $RUN/export   (then open http://127.0.0.1:8000/)"
