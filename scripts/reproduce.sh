#!/usr/bin/env bash
# From nothing to results/REPORT.md: builds the synthetic ensemble, trains the encoders
# and the GAN variants (S2I-C, S2I-N, S2I-A, I2S, pose-oriented S2I) with one preset,
# evaluates them, runs paper Table 1, and writes the report with its plots.
#   scripts/reproduce.sh                 # cpu preset: ~5 hours on 2 CPU cores, and
#                                        # ~4 more for the pose models on `full`
#   PRESET=paper GAN_EPOCHS=100 scripts/reproduce.sh    # on a GPU
# Every step resumes or skips when rerun (a finished run is not repeated), so a killed
# reproduction goes on where it stopped. Outputs: runs/reproduce/ (checkpoints,
# TensorBoard logs, evaluation.json per GAN), results/REPORT.md and results/*.png.
# Set TABLE1=0 to leave out Table 1 (scripts/reproduce_table1.sh), SETUP=0 to skip the
# environment set-up (venv, pip, Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SETUP:-1}" == 1 ]]; then
  source scripts/setup.sh fluidsynth timgm6mb-soundfont
  PY="$VENV/bin/python"
else
  PY=${PY:-.venv/bin/python}
fi

PRESET=${PRESET:-cpu}
RUN=${RUN:-runs/reproduce}
GAN_EPOCHS=${GAN_EPOCHS:-12}
I2S_EPOCHS=${I2S_EPOCHS:-36}
POSE_EPOCHS=${POSE_EPOCHS:-240}
POSE_INSTRUMENTS=${POSE_INSTRUMENTS:-cello}
# The report's wall time is summed over invocations: a resumed reproduction adds the
# time of each run of this script to $RUN/reproduce_seconds, when it exits, fails or is
# interrupted (SIGKILL loses that invocation's time).
START=$(date +%s)
add_elapsed() {
  local now before=0
  now=$(date +%s)
  mkdir -p "$RUN"
  [[ -f "$RUN/reproduce_seconds" ]] && before=$(cat "$RUN/reproduce_seconds")
  echo $(( before + now - START )) > "$RUN/reproduce_seconds.tmp"
  mv "$RUN/reproduce_seconds.tmp" "$RUN/reproduce_seconds"
  START=$now
}
trap add_elapsed EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# --recipe=paper: the reproduction trains the paper's GAN-CLS (variants add one ingredient).
train() { "$PY" -m avgan.train --preset="$PRESET" --recipe=paper "$@"; }

# Encoders: the conditioning encodings (S2I-C's sound classifier, S2I-A's autoencoder,
# the pose-aware pitch classifier, I2S's image classifier) and the evaluators.
train --mode=sound_classifier --representation=lms --epochs=${SOUND_EPOCHS:-8} \
  --model_dir="$RUN/sound_classifier"
train --mode=image_classifier --epochs=${IMAGE_EPOCHS:-60} --model_dir="$RUN/image_classifier"
SOUND="$RUN/sound_classifier/encoder.keras"
IMAGE="$RUN/image_classifier/encoder.keras"

# The GANs, all with the same budget; Fig. 9 points every 2 epochs.
gan() { train --epochs="$GAN_EPOCHS" --eval_every=2 --image_encoder="$IMAGE" "$@"; }
gan --mode=s2i --variant=c --sound_encoder="$SOUND" --model_dir="$RUN/s2i-c"
gan --mode=s2i --variant=n --sound_encoder="$SOUND" --model_dir="$RUN/s2i-n"
train --mode=sound_autoencoder --epochs=${AUTOENCODER_EPOCHS:-3} --model_dir="$RUN/sound_autoencoder"
AUTOENCODER="$RUN/sound_autoencoder/encoder.keras"
gan --mode=s2i --variant=a --sound_encoder="$AUTOENCODER" --model_dir="$RUN/s2i-a"
# I2S steps cost ~4x S2I's (its discriminator's twelve extra layers), and it starts
# from noise further away: its own budget.
train --epochs="$I2S_EPOCHS" --eval_every=4 --image_encoder="$IMAGE" \
  --mode=i2s --sound_encoder="$SOUND" --model_dir="$RUN/i2s"
train --mode=pitch_sound_classifier --epochs=${SOUND_EPOCHS:-8} \
  --model_dir="$RUN/pitch_sound_classifier"
# Pose-oriented S2I: one instrument's pairs (~115), so a smaller batch and more epochs.
train --mode=s2i_pose --instrument="$POSE_INSTRUMENTS" --epochs="$POSE_EPOCHS" \
  --batch_size=32 --eval_every=40 --image_encoder="$IMAGE" \
  --sound_encoder="$RUN/pitch_sound_classifier/encoder.keras" --model_dir="$RUN/s2i_pose"

"$PY" -m avgan.evaluate --model_dir="$RUN/s2i-c" --model_dir="$RUN/s2i-n" \
  --model_dir="$RUN/s2i-a" --model_dir="$RUN/i2s" --model_dir="$RUN/s2i_pose" > /dev/null

if [[ "${TABLE1:-1}" == 1 ]]; then
  RUNS="$RUN/table1" PY="$PY" scripts/reproduce_table1.sh --preset="$PRESET" --epochs=${TABLE1_EPOCHS:-5}
fi

# S2I-C, S2I-N and S2I-A past the equal budget: each run continued from its last
# checkpoint to LONG_EPOCHS (0 skips), for the Fig. 9 curves further out and a comparison
# of the three once they draw instruments. LONG_VARIANTS (default "c n a") picks them.
LONG_EPOCHS=${LONG_EPOCHS:-120}
LONG_VARIANTS=${LONG_VARIANTS:-c n a}
# A continued run starts from a copy of another's checkpoints (made once, atomically),
# so the run it continues keeps its own end-of-training figures.
continue_from() {  # continue_from SRC DST
  if [[ ! -d "$2/checkpoints" ]]; then
    rm -rf "$2" "$2.tmp"
    mkdir -p "$2.tmp"
    cp -r "$1/checkpoints" "$1/avgan_mode.json" "$2.tmp/"
    mv "$2.tmp" "$2"
  fi
}
# The runs past the equal budget: train_and_evaluate DIR FLAGS... trains into DIR with
# both encoders (FLAGS may name another --sound_encoder: absl keeps a flag's last value),
# a curve point every 4 epochs, then evaluates DIR.
train_and_evaluate() {
  local dir=$1
  shift
  train --eval_every=4 --sound_encoder="$SOUND" --image_encoder="$IMAGE" "$@" --model_dir="$dir"
  "$PY" -m avgan.evaluate --model_dir="$dir" > /dev/null
}
if (( LONG_EPOCHS > GAN_EPOCHS )); then
  for v in $LONG_VARIANTS; do
    case $v in
      c | n) encoder=$SOUND ;;
      a) encoder=$AUTOENCODER ;;
      *) echo "LONG_VARIANTS: '$v' is not one of c, n, a" >&2; exit 2 ;;
    esac
    continue_from "$RUN/s2i-$v" "$RUN/s2i-$v-long"
    train_and_evaluate "$RUN/s2i-$v-long" --mode=s2i --variant="$v" --sound_encoder="$encoder" \
      --epochs="$LONG_EPOCHS"
  done
fi

# Not in the paper: S2I-C trained from scratch with DiffAugment on every picture its
# discriminator sees, for AUGMENT_EPOCHS (0 skips), beside the plain run above.
AUGMENT_EPOCHS=${AUGMENT_EPOCHS:-$LONG_EPOCHS}
AUGMENT=${AUGMENT:-translation,cutout}
if (( AUGMENT_EPOCHS > 0 )); then
  train_and_evaluate "$RUN/s2i-c-diffaugment" --mode=s2i --variant=c --augment="$AUGMENT" --epochs="$AUGMENT_EPOCHS"
fi
# The same again with resize-convolutions in place of the generator's deconvolutions
# (against their checkerboards), for RESIZE_EPOCHS (0 skips).
RESIZE_EPOCHS=${RESIZE_EPOCHS:-$AUGMENT_EPOCHS}
if (( RESIZE_EPOCHS > 0 )); then
  train_and_evaluate "$RUN/s2i-c-resize" --mode=s2i --variant=c --augment="$AUGMENT" --upsampling=resize --epochs="$RESIZE_EPOCHS"
fi
# S2I-C + DiffAugment with an auxiliary instrument classifier on the discriminator
# (AC-GAN, --aux_weight=ACGAN_WEIGHT), from scratch for ACGAN_EPOCHS (0 skips).
ACGAN_EPOCHS=${ACGAN_EPOCHS:-$AUGMENT_EPOCHS}
if (( ACGAN_EPOCHS > 0 )); then
  train_and_evaluate "$RUN/s2i-c-acgan" --mode=s2i --variant=c --augment="$AUGMENT" --aux_weight="${ACGAN_WEIGHT:-1}" --epochs="$ACGAN_EPOCHS"
fi
# The same for I2S, with translation along time only (along the mels it would change
# the pitch): I2S_AUGMENT_EPOCHS (0 skips), by default I2S's own budget.
I2S_AUGMENT_EPOCHS=${I2S_AUGMENT_EPOCHS:-$I2S_EPOCHS}
I2S_AUGMENT=${I2S_AUGMENT:-time_translation,cutout}
if (( I2S_AUGMENT_EPOCHS > 0 )); then
  train_and_evaluate "$RUN/i2s-diffaugment" --mode=i2s --augment="$I2S_AUGMENT" --epochs="$I2S_AUGMENT_EPOCHS"
fi
# ... and continued from its last checkpoint to I2S_AUGMENT_LONG_EPOCHS (0 skips).
I2S_AUGMENT_LONG_EPOCHS=${I2S_AUGMENT_LONG_EPOCHS:-48}
if (( I2S_AUGMENT_EPOCHS > 0 && I2S_AUGMENT_LONG_EPOCHS > I2S_AUGMENT_EPOCHS )); then
  continue_from "$RUN/i2s-diffaugment" "$RUN/i2s-diffaugment-long"
  train_and_evaluate "$RUN/i2s-diffaugment-long" --mode=i2s --augment="$I2S_AUGMENT" --epochs="$I2S_AUGMENT_LONG_EPOCHS"
fi
# ... and the same for I2S: I2S + DiffAugment with the auxiliary classifier, from scratch
# for I2S_ACGAN_EPOCHS (default I2S_AUGMENT_EPOCHS; 0 skips).
I2S_ACGAN_EPOCHS=${I2S_ACGAN_EPOCHS:-$I2S_AUGMENT_EPOCHS}
if (( I2S_ACGAN_EPOCHS > 0 )); then
  train_and_evaluate "$RUN/i2s-acgan" --mode=i2s --augment="$I2S_AUGMENT" --aux_weight="${ACGAN_WEIGHT:-1}" --epochs="$I2S_ACGAN_EPOCHS"
fi
# Pose-oriented S2I on the `avgan` recipe (issue #24), on the larger synthetic ensemble
# `full` (about 1,400 training chunks per instrument; `small` has about 115), with
# encoders trained on `full`: the pitch-aware classifier is the condition, the image
# classifier the judge. One model per instrument of POSE_FULL_INSTRUMENTS, then one model
# shared by them (the same epochs: about as many steps as the per-instrument models together).
# POSE_FULL_EPOCHS (0 skips): 170 epochs are ~2,900 steps per instrument, ~50 min each on
# 2 CPU cores.
POSE_FULL_EPOCHS=${POSE_FULL_EPOCHS:-170}
POSE_FULL_INSTRUMENTS=${POSE_FULL_INSTRUMENTS:-cello,violin}
if (( POSE_FULL_EPOCHS > 0 )); then
  full() { train --synthetic_preset=full --recipe=avgan "$@"; }
  full --mode=pitch_sound_classifier --epochs=8 --model_dir="$RUN/full/pitch_sound_classifier"
  full --mode=image_classifier --epochs=12 --model_dir="$RUN/full/image_classifier"
  for models in each shared; do
    dir="$RUN/s2i_pose-avgan"
    [[ $models == shared ]] && dir="$RUN/s2i_pose-avgan-shared"
    full --mode=s2i_pose --pose_models="$models" --instrument="$POSE_FULL_INSTRUMENTS" \
      --epochs="$POSE_FULL_EPOCHS" --eval_every=10 \
      --sound_encoder="$RUN/full/pitch_sound_classifier/encoder.keras" \
      --image_encoder="$RUN/full/image_classifier/encoder.keras" --model_dir="$dir"
    "$PY" -m avgan.evaluate --model_dir="$dir" > /dev/null
  done
fi
add_elapsed
# The report, and the runs' JSON summaries in results/runs (it can be rebuilt from them).
"$PY" scripts/write_report.py "$RUN" --out results --archive results/runs
echo "report: results/REPORT.md"
