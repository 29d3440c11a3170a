"""Generate with a trained GAN run.

    python -m avgan.generate --model_dir runs/s2i-c --sound X.wav --out Y.png
    python -m avgan.generate --model_dir runs/i2s --image X.png --out Y.wav

S2I: the first 0.5 s of the sound (zero-padded if shorter; any format and rate that
avgan.data.audio reads) -> a 64x64 picture. I2S: a picture of any size (resized to
64x64) -> a 128x44 log-mel spectrogram -> 0.5 s of audio through avgan.synthesis
(mel inversion + Griffin-Lim); the spectrogram is also written as Y.png. --seed fixes
the noise.
"""

from __future__ import annotations

import os

import numpy as np
from absl import app, flags

from avgan import cli

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "A trained GAN run.", required=True)
flags.DEFINE_string("sound", None, "S2I: the sound to draw a picture for.")
flags.DEFINE_string("image", None, "I2S: the picture to make a sound for.")
flags.DEFINE_string("out", None, "Output .png (S2I) or .wav (I2S).", required=True)
flags.DEFINE_integer("seed", 0, "Noise seed.")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if (FLAGS.sound is None) == (FLAGS.image is None):
        raise app.UsageError("give exactly one of --sound (S2I) or --image (I2S)")
    import tensorflow as tf
    from PIL import Image

    from avgan import run_dir
    from avgan.data import audio, builder, files, pictures
    from avgan.models.i2s import to_log_mel_44
    from avgan.synthesis import log_mel_to_audio

    wanted = "s2i" if FLAGS.sound else "i2s"
    try:
        config = run_dir.read_config(FLAGS.model_dir)
        # Before restoring: the encoders of a run of the other direction may be missing.
        if config.is_gan and config.direction != wanted:
            raise app.UsageError(
                f"--model_dir {FLAGS.model_dir} is an {config.direction.upper()} model; "
                f"--{'sound' if wanted == 's2i' else 'image'} needs an {wanted.upper()} one"
            )
        restored = run_dir.restore(FLAGS.model_dir)
    except ValueError as e:
        raise app.UsageError(str(e)) from e
    gan = restored.sampler
    z = tf.random.stateless_normal([1, gan.z_dim], [FLAGS.seed, 0])
    try:
        if wanted == "s2i":
            waveform = audio.load_audio(FLAGS.sound)[: builder.CHUNK_SAMPLES]
            waveform = tf.pad(waveform, [[0, builder.CHUNK_SAMPLES - tf.shape(waveform)[0]]])
            picture = pictures.image_grid(gan.generate(waveform[None], z=z).numpy(), 1)
            with files.atomic_path(FLAGS.out) as tmp:
                Image.fromarray(picture).save(tmp, "PNG")
        else:
            image = audio.resize_image(audio.load_image(FLAGS.image))
            spectrogram = gan.generate(image[None], z=z)
            waveform = log_mel_to_audio(to_log_mel_44(spectrogram))[0].numpy()
            files.write_bytes(FLAGS.out, builder.wav_bytes(np.clip(waveform, -1.0, 1.0)))
            picture = pictures.spectrogram_pictures(spectrogram.numpy())[0]
            with files.atomic_path(os.path.splitext(FLAGS.out)[0] + ".png") as tmp:
                Image.fromarray(picture).save(tmp, "PNG")
    except ValueError as e:  # unreadable input: the message names the file
        raise app.UsageError(str(e)) from e
    print(f"wrote {FLAGS.out}")


def run() -> None:
    """Console-script entry point (`avgan-generate`)."""
    cli.run(main, "avgan-generate")


if __name__ == "__main__":
    run()
