"""The paper's measure of a generator: how often a classifier names the condition's
instrument in generated samples (Table 5, Fig. 9, the I2S table)."""

from __future__ import annotations

import tensorflow as tf

from avgan.models.i2s import to_log_mel_44


def generated_accuracy(
    model, classifier, dataset, direction: str, max_batches: int, use_ema: bool = True
) -> float:
    """Share of generated samples that `classifier` assigns to the condition's instrument.

    S2I: generated pictures under the image classifier. I2S: generated spectrograms,
    resized 128x34 -> 128x44 as the paper does, under the log-mel sound classifier.

    Args:
        model: anything with `generate(condition, use_ema=...)` (`GanCls`, `Sampler`).
        classifier: `ImageClassifier` (S2I) or the log-mel `SoundClassifier` (I2S).
        dataset: `avgan.data.pipeline.paired_dataset` batches ("sound", "image", "label").
        max_batches: how many batches to read at most.
        use_ema: False samples the trained generator instead of its EMA copy.
    """
    hits = total = 0
    for batch in dataset.take(max_batches):
        if direction == "s2i":
            logits = classifier(model.generate(batch["sound"], use_ema=use_ema), training=False)
        else:
            generated = to_log_mel_44(model.generate(batch["image"], use_ema=use_ema))
            logits = classifier.classify_representation(generated)
        predicted = tf.argmax(logits, -1, output_type=tf.int32)
        hits += int(tf.reduce_sum(tf.cast(predicted == batch["label"], tf.int32)))
        total += int(batch["label"].shape[0])
    return hits / max(total, 1)
