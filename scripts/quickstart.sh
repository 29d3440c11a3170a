#!/usr/bin/env bash
# The main job on the embedded default, from a fresh machine: set up, build the synthetic
# ensemble, train the sound encoder and the image classifier, train S2I-C (the default
# `avgan` recipe), and write a grid of generated pictures for held-out sounds next to the
# real ones.
#   scripts/quickstart.sh            # ~15-20 minutes on 2 CPU cores (estimated)
# Output: runs/quickstart/ (TensorBoard logs in runs/quickstart/*/logs) and
# runs/quickstart/s2i-c/samples_test.png. Rerunning resumes or skips finished steps.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh fluidsynth timgm6mb-soundfont

RUN=${RUN:-runs/quickstart}
PY="$VENV/bin/python"
# The S2I GAN conditions on a log-mel sound classifier and is judged by an image
# classifier; the quickstart preset is the cpu preset (width 32) with short training.
"$PY" -m avgan.train --mode=sound_classifier --preset=cpu --epochs=8 --model_dir="$RUN/sound_classifier"
"$PY" -m avgan.train --mode=image_classifier --preset=cpu --epochs=8 --model_dir="$RUN/image_classifier"
"$PY" -m avgan.train --mode=s2i --variant=c --preset=cpu --epochs=${EPOCHS:-40} \
  --sound_encoder="$RUN/sound_classifier/encoder.keras" \
  --image_encoder="$RUN/image_classifier/encoder.keras" --model_dir="$RUN/s2i-c"
echo "held-out sounds, real (left) and generated (right): $RUN/s2i-c/samples_test.png"
echo "TensorBoard: $VENV/bin/tensorboard --logdir $RUN"
