"""Unconditional DCGAN sanity run of the S2I networks, outside GanCls.

Trains `S2IGenerator` / `S2IDiscriminator` with a constant (zero) encoding on the
synthetic ensemble's training pictures with the plain DCGAN loop (Adam 2e-4 / 0.5, one
D and one G step, non-saturating loss), and prints, every `--every` steps, both losses
and the mean absolute difference between vertically neighbouring pixels of generated
pictures next to the real pictures' figure (the per-pixel noise of the S2I samples
shows there: real 0.040). It separates the networks and hyper-parameters from
`GanCls.train_step`: if the plain loop gives the same noise, the step is not at fault.

    .venv/bin/python scripts/dcgan_sanity.py --steps 400 [--width 32] [--out grid.png]
        [--augment color,translation,cutout] [--drawn 20000] [--g_steps 2] [--real_label 0.9]

Measured (2026-11-25, cpu, 2 cores, width 32, batch 64, 0.9-1.5 s/step), generated
roughness at steps 100 / 200 / 300 / 400 (real 0.040):
    plain DCGAN                         0.175 / 0.166 / 0.148 / 0.123
    --augment color,translation,cutout  0.126 / 0.092 / 0.072 / 0.070  (D loss 0.47-1.17)
    --augment translation,cutout        0.143 / 0.098 / 0.093 / 0.082
    --g_steps 2                         0.141 / 0.129 / 0.124 / 0.135
    --drawn 20000 (real 0.034)          0.177 / 0.153 / 0.159 / 0.134
Fresh pictures do not help and DiffAugment does: the noise comes from the
discriminator's lead, not from memorising 1,563 pictures.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--preset", default="small", help="synthetic ensemble preset")
    parser.add_argument("--out", default="", help="write 8 generated pictures as a PNG row")
    parser.add_argument(
        "--augment",
        default="",
        help="DiffAugment policy for D's inputs, e.g. color,translation,cutout",
    )
    parser.add_argument("--g_steps", type=int, default=1, help="generator steps per D step")
    parser.add_argument("--real_label", type=float, default=1.0, help="0.9: one-sided smoothing")
    parser.add_argument("--d_lr", type=float, default=2e-4)
    parser.add_argument("--d_width", type=int, default=0, help="D's width (default: --width)")
    parser.add_argument(
        "--drawn",
        type=int,
        default=0,
        help="train on this many freshly drawn pictures instead of the data set's",
    )
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from avgan.data import layout
    from avgan.data.pictures import to_uint8, to_unit
    from avgan.data.synthetic import build
    from avgan.data.synthetic.instruments import INSTRUMENTS
    from avgan.evaluation.pose import drawn_pictures, load_pictures
    from avgan.models.s2i import S2IDiscriminator, S2IGenerator
    from avgan.training.augment import diff_augment, parse_policy

    policy = parse_policy(args.augment)
    if args.drawn:
        per = -(-args.drawn // len(INSTRUMENTS))
        pictures = np.concatenate(
            [drawn_pictures(inst.name, per, seed=i)[0] for i, inst in enumerate(INSTRUMENTS)]
        )
    else:
        index = layout.read_layout(build.ensure_built(args.preset, 0), progress=False)
        pictures = load_pictures(index.split("train"))
    pictures = to_unit(pictures)

    def roughness(x: np.ndarray) -> float:
        return float(np.abs(np.diff(x, axis=1)).mean())

    print(f"{len(pictures)} pictures; real roughness {roughness(pictures):.3f}")
    keras.utils.set_random_seed(0)
    batch = args.batch_size
    generator = S2IGenerator(args.width)
    discriminator = S2IDiscriminator(args.d_width or args.width)
    encoding = tf.zeros([batch, 128])
    generator((encoding, tf.zeros([batch, 100])))
    discriminator((tf.zeros([batch, 64, 64, 3]), encoding))
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(args.d_lr, beta_1=0.5)
    seeds = tf.random.Generator.from_seed(0)

    def score(images):
        images = diff_augment(images, policy, seeds.make_seeds(1)[:, 0])
        return discriminator((images, encoding), training=True)

    def bce(logits, label):
        labels = tf.fill(tf.shape(logits), label)
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels, logits))

    @tf.function
    def step(real):
        with tf.GradientTape() as tape:
            fake = generator((encoding, tf.random.normal([batch, 100])), training=True)
            d_loss = bce(score(real), args.real_label) + bce(score(fake), 0.0)
        variables = discriminator.trainable_variables
        d_opt.apply(tape.gradient(d_loss, variables), variables)
        for _ in range(args.g_steps):
            with tf.GradientTape() as tape:
                fake = generator((encoding, tf.random.normal([batch, 100])), training=True)
                g_loss = bce(score(fake), 1.0)
            variables = generator.trainable_variables
            g_opt.apply(tape.gradient(g_loss, variables), variables)
        return d_loss, g_loss

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for k in range(1, args.steps + 1):
        d_loss, g_loss = step(pictures[rng.integers(0, len(pictures), batch)])
        if k % args.every == 0 or k == args.steps:
            fake = generator((encoding, tf.random.normal([batch, 100])), training=True).numpy()
            print(
                f"step {k}: d_loss {float(d_loss):.3f} g_loss {float(g_loss):.3f} "
                f"fake roughness {roughness(fake):.3f} ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    if args.out:
        from PIL import Image

        row = np.concatenate(list(fake[:8]), axis=1)
        Image.fromarray(to_uint8(row)).save(args.out)


if __name__ == "__main__":
    main()
