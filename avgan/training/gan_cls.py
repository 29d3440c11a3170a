"""GanCls: the matching-aware conditional GAN of the paper (§3.2), both directions.

One Keras model holds the frozen encoder, the generator, the discriminator and an
optional exponential moving average (EMA) of the generator. `train_step` takes the
batches of `avgan.data.pipeline.paired_dataset` and makes one discriminator step
and one generator step (GAN-CLS, Reed et al. 2016, Algorithm 1):

    S2I: condition = sound encoding, real = picture, wrong = wrong pair's picture
    I2S: condition = image encoding, real = spectrogram_target(sound),
         wrong = spectrogram_target(wrong pair's sound)            (Eq. 7)

With `wrong_pairs=False` (S2I-N) the discriminator has no mismatch term and the
wrong samples are not read. With an `augment` policy (not in the paper) every sample
the discriminator sees, real, wrong or generated, in its step and in the generator's,
first goes through DiffAugment (`avgan.training.augment`). With `aux_weight` > 0
(not in the paper) the discriminator also classifies the instrument of real samples
(AC-GAN, Odena et al. 2017) and the generator is trained to make its samples classify
as the condition's instrument, each term weighted by `aux_weight`; with
`aux_target='pitch'` the class is the MIDI pitch of the pair's note (batch "pitch"),
and pairs that are rests (pitch -1) count in neither term. With `scene_weight` > 0
(pose models; not in the paper) the generator also draws each pair's noise with the
next pair's condition and pays `scene_weight` times the difference of the two
pictures' coarse cells (`losses.scene_difference`) where the two pairs are the same
instrument: the noise, not the note, should pick the player and the room.

Everything must be created in one `strategy.scope()`: the models, `GanCls` (which
builds them and copies the EMA generator) and `compile` (which builds both
optimizers on their variables: optimizers built later, inside the replicated step,
fail). Per-example losses are averaged over the global batch, and noise is drawn for
the global batch and sliced per replica, so N replicas compute what one replica
computes on the whole batch.

Persistence: `avgan.run_dir.checkpoint_objects(gan)` names what training changes
(the checkpoint layout, defined there once): generator, EMA generator, discriminator (BN
statistics included), noise seed states, optimizer slots and step counters. The frozen
encoder is not reliably in a checkpoint (Keras 3 hides layers kept in Python lists
from tf.train.Checkpoint, keras-team/keras#19425, and the encoders keep their
convolutions in lists): load the same encoder file before restoring.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from avgan.config import AUX_TARGETS, Config, parse_policy
from avgan.data.constants import IMAGE_SIZE
from avgan.models.i2s import spectrogram_target
from avgan.models.layers import PixelScaling
from avgan.models.networks import DIRECTIONS, make_discriminator, make_generator
from avgan.models.sampler import Sampling
from avgan.training.augment import diff_augment
from avgan.training.losses import (
    LOSSES,
    auxiliary_classifier_loss,
    r1_penalty,
    scene_difference,
)


def _replica() -> tuple[tf.Tensor | int, int]:
    """(replica id, replicas in sync) of the current replica context; (0, 1) outside one."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: not inside strategy.run
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


class GanCls(Sampling, keras.Model):
    """Conditional GAN with a matching-aware discriminator (GAN-CLS) for S2I or I2S.

    Args:
        generator: (encoding, z) -> sample; `S2IGenerator` or `I2SGenerator`.
        discriminator: (sample, encoding) -> [batch] logits.
        encoder: a trained classifier or autoencoder with `.encode(x, training=False)`:
            of waveforms for S2I (SoundClassifier, SoundAutoencoder), of uint8 images
            for I2S (ImageClassifier). It is frozen (`trainable = False`) here.
        direction: 's2i' or 'i2s'.
        z_dim: noise dimension; must match the generator's.
        wrong_pairs: train with the mismatch term (S2I-C, pose S2I, I2S); False gives
            S2I-N.
        ema_decay: d of the generator EMA, ema = d * ema + (1 - d) * w after every
            generator step; None keeps no EMA.
        augment: DiffAugment policy for the discriminator's inputs, e.g.
            'color,translation,cutout' (see `avgan.training.augment`); '' for none, as
            in the paper.
        seed: seeds the noise of training and of `generate`.
        aux_weight: weight of the auxiliary classifier's terms (AC-GAN); 0 is the
            paper's GAN-CLS. Needs a discriminator made with `num_classes` and batches
            with a "label".
        loss: 'bce' (the paper's binary cross-entropy) or 'hinge' (`losses.LOSSES`).
        r1_weight: gamma of the R1 penalty on right pairs, gamma / 2 * |grad_x D|^2,
            added to D's loss every `r1_every` D steps and scaled by it (lazy
            regularisation); 0 for none.
        scene_weight: weight of the scene term (`_scene_term`); 0 for none. Needs
            batches with a "label" (S2I; pose mode's are one or a few instruments).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        encoder: keras.Model,
        direction: str = "s2i",
        z_dim: int = 100,
        wrong_pairs: bool = True,
        ema_decay: float | None = 0.999,
        augment: str = "",
        seed: int = 0,
        aux_weight: float = 0.0,
        aux_target: str = "instrument",
        loss: str = "bce",
        r1_weight: float = 0.0,
        r1_every: int = 4,
        scene_weight: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.augment = parse_policy(augment)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        self.loss_name = loss
        self.d_loss_fn, self.g_loss_fn = LOSSES[loss]
        self.r1_weight, self.r1_every = float(r1_weight), int(r1_every)
        if scene_weight < 0 or (scene_weight and direction != "s2i"):
            raise ValueError(f"scene_weight must be >= 0 and is for s2i, got {scene_weight}")
        self.scene_weight = float(scene_weight)
        if aux_weight and not getattr(discriminator, "num_classes", 0):
            raise ValueError(
                f"aux_weight={aux_weight} needs a discriminator with an auxiliary "
                "classifier (num_classes > 0)"
            )
        self.aux_weight = float(aux_weight)
        if aux_target not in AUX_TARGETS:
            raise ValueError(f"aux_target must be one of {AUX_TARGETS}, got {aux_target!r}")
        self.aux_target = aux_target
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        if ema_decay is not None and not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) or None, got {ema_decay}")
        self.direction, self.z_dim = direction, z_dim
        self.wrong_pairs, self.ema_decay = wrong_pairs, ema_decay
        self.generator, self.discriminator, self.encoder = generator, discriminator, encoder
        encoder.trainable = False
        self.pixels = PixelScaling()
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.sample_seed_generator = keras.random.SeedGenerator(seed + 1)
        self.augment_seed_generator = keras.random.SeedGenerator(seed + 2)
        # tf.train.Checkpoint does not see a SeedGenerator's state; this container makes
        # it see them (without Keras counting them twice), so noise resumes exactly.
        self.noise_state = tf.Module(name="noise_state")
        self.noise_state.training = self.seed_generator.state
        self.noise_state.sampling = self.sample_seed_generator.state
        self.noise_state.augment = self.augment_seed_generator.state

        encoding = self._build_networks()
        self.ema_generator = self.copy_for_ema(encoding) if ema_decay is not None else None

        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_score_tracker = keras.metrics.Mean(name="real_score")
        self.wrong_score_tracker = keras.metrics.Mean(name="wrong_score") if wrong_pairs else None
        self.fake_score_tracker = keras.metrics.Mean(name="fake_score")
        # How often the auxiliary head names the instrument of real and generated samples.
        self.class_trackers = (
            [
                keras.metrics.Mean(name="real_class_accuracy"),
                keras.metrics.Mean(name="fake_class_accuracy"),
            ]
            if self.aux_weight
            else []
        )
        self.scene_tracker = (
            keras.metrics.Mean(name="scene_difference") if self.scene_weight else None
        )
        self.built = True

    def _build_networks(self) -> tf.Tensor:
        """Creates every variable now, in the caller's strategy scope, and checks shapes.

        Returns the encoding of a dummy condition, [1, encoding_dim].
        """
        condition = self.dummy_condition()
        self.pixels(tf.zeros([1, IMAGE_SIZE, IMAGE_SIZE, 3], tf.uint8))
        if not self.encoder.built:
            self.encoder(condition, training=False)  # build heads `encode` does not reach
        encoding = self.encoder.encode(condition, training=False)
        if getattr(self.generator, "z_dim", self.z_dim) != self.z_dim:
            raise ValueError(f"z_dim={self.z_dim} but the generator takes {self.generator.z_dim}")
        for network in (self.generator, self.discriminator):
            expected = getattr(network, "encoding_dim", encoding.shape[-1])
            if expected != encoding.shape[-1]:
                raise ValueError(
                    f"the encoder gives {encoding.shape[-1]}-d encodings but {network.name} "
                    f"takes encoding_dim={expected}"
                )
        sample = self.generator((encoding, tf.zeros([1, self.z_dim])), training=False)
        if self.aux_weight:  # one call that builds the auxiliary head too
            logits, _ = self.discriminator.score_and_classify((sample, encoding), training=False)
        else:
            logits = self.discriminator((sample, encoding), training=False)
        if logits.shape != (1,):
            raise ValueError(f"the discriminator must return [batch] logits, got {logits.shape}")
        return encoding

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # Listed here so Keras resets them at the start of every epoch.
        trackers = [self.d_loss_tracker, self.g_loss_tracker, self.real_score_tracker]
        if self.wrong_score_tracker is not None:
            trackers.append(self.wrong_score_tracker)
        trackers += [self.fake_score_tracker] + self.class_trackers
        return trackers + ([self.scene_tracker] if self.scene_tracker is not None else [])

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        **kwargs,
    ) -> None:
        """Sets and builds both optimizers; call inside the scope the model was made in.

        `model.optimizer` is the generator's, so its `iterations` counts train steps
        for Keras callbacks. Other keyword arguments (jit_compile, steps_per_execution,
        run_eagerly) go to `keras.Model.compile`.
        """
        if tf.distribute.get_strategy() is not self.distribute_strategy:
            raise ValueError(
                "GanCls.compile must run inside the strategy.scope() the model was built in"
            )
        if self.dtype_policy.name == "mixed_float16":
            # float16 gradients underflow without loss scaling; Keras would wrap only the
            # optimizer it is given, so wrap both here.
            d_optimizer, g_optimizer = (
                opt
                if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(opt)
                for opt in (d_optimizer, g_optimizer)
            )
        super().compile(optimizer=g_optimizer, **kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        # Slots must exist before the replicated step: build them here, in the scope.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    def _samples(self, batch: dict) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor | None]:
        """(raw condition, real samples, wrong samples or None) of a pipeline batch."""
        if self.direction == "s2i":
            wrong = self.pixels(batch["wrong_image"]) if self.wrong_pairs else None
            return batch["sound"], self.pixels(batch["image"]), wrong
        wrong = spectrogram_target(batch["wrong_sound"]) if self.wrong_pairs else None
        return batch["image"], spectrogram_target(batch["sound"]), wrong

    def _noise(self, local_batch: tf.Tensor) -> tf.Tensor:
        """[local_batch, z_dim] normal noise: this replica's slice of the global batch's.

        Every replica draws the same global noise from the same seed state and keeps
        its own rows, so the noise of an example does not depend on the replica count.
        """
        replica_id, replicas = _replica()
        z = keras.random.normal([local_batch * replicas, self.z_dim], seed=self.seed_generator)
        return z[replica_id * local_batch : (replica_id + 1) * local_batch]

    def _score(self, sample: tf.Tensor, encoding: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor | None]:
        """The discriminator's [batch] logits and, with `aux_weight`, its [batch,
        num_classes] class logits (else None), training mode, after the augmentation.

        The augmentation seed is the same on every replica (like the noise), and the
        draws are sliced per replica, so replicas augment as one device would.
        """
        if self.augment:
            seed = keras.random.randint(
                [2], 0, 2**31 - 1, seed=self.augment_seed_generator, dtype="int32"
            )
            sample = diff_augment(sample, self.augment, seed, _replica())
        if self.aux_weight:
            return self.discriminator.score_and_classify((sample, encoding), training=True)
        return self.discriminator((sample, encoding), training=True), None

    def _lazy_r1(self, real: tf.Tensor, encoding: tf.Tensor) -> tf.Tensor:
        """[batch] R1 terms: r1_every * gamma / 2 * |grad_x D(x, c)|^2 on the steps where
        the discriminator's step count is a multiple of r1_every, zeros on the others.

        Called inside D's tape, so D's gradient includes the penalty's (a second-order
        derivative through D). D runs in inference mode on the real samples, without the
        augmentation: a training-mode call inside the cond would update state that
        tf.distribute keeps in step by collectives (spectral norm's power-iteration
        vectors, synchronised batch-norm statistics, the augmentation seed), and
        collectives inside a cond branch are issued in a different order on each
        replica (measured: "Shape mismatch in the collective instance", two CPU
        replicas). With spectral norm, inference mode uses the kernels the step's
        training calls normalised.
        """

        def penalty() -> tf.Tensor:
            # Watched inside the branch: `real` itself is captured from outside the cond.
            sample = tf.identity(real)
            with tf.GradientTape() as tape:
                tape.watch(sample)
                total = tf.reduce_sum(self.discriminator((sample, encoding), training=False))
            gradients = tape.gradient(total, sample)
            return 0.5 * self.r1_weight * self.r1_every * r1_penalty(gradients)

        due = tf.equal(self.d_optimizer.iterations % self.r1_every, 0)
        return tf.cond(due, penalty, lambda: tf.zeros([tf.shape(real)[0]], tf.float32))

    def train_step(self, batch: dict) -> dict[str, tf.Tensor]:
        condition_input, real, wrong = self._samples(batch)
        encoding = self.encode(condition_input)
        local_batch = tf.shape(real)[0]
        global_batch = local_batch * _replica()[1]
        z = self._noise(local_batch)

        def average(per_example):
            return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)

        if self.aux_weight:
            classes, class_weights = self._aux_classes(batch)

        # The fake is generated once (GAN-CLS): D learns from it, then G learns from the
        # updated D's view of it, with gradients through this same forward pass.
        with tf.GradientTape() as g_tape:
            fake = self.generator((encoding, z), training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    real_logits, real_classes = self._score(real, encoding)
                    wrong_logits = self._score(wrong, encoding)[0] if wrong is not None else None
                    fake_logits, _ = self._score(tf.stop_gradient(fake), encoding)
                    d_per_example = self.d_loss_fn(real_logits, fake_logits, wrong_logits)
                    if self.r1_weight:
                        d_per_example += self._lazy_r1(real, encoding)
                    if self.aux_weight:
                        # Real samples only: a head also taught to classify fakes could
                        # learn their flaws instead of the instruments.
                        d_per_example += (
                            self.aux_weight
                            * auxiliary_classifier_loss(real_classes, classes)
                            * class_weights
                        )
                    d_loss = self.d_optimizer.scale_loss(average(d_per_example))
                d_variables = self.discriminator.trainable_variables
                d_grads = d_tape.gradient(d_loss, d_variables)
                self.d_optimizer.apply(d_grads, d_variables)
            g_logits, fake_classes = self._score(fake, encoding)
            g_per_example = self.g_loss_fn(g_logits)
            if self.aux_weight:
                g_per_example += (
                    self.aux_weight
                    * auxiliary_classifier_loss(fake_classes, classes)
                    * class_weights
                )
            if self.scene_weight:
                scene = self._scene_term(fake, encoding, z, batch["label"])
                g_per_example += self.scene_weight * scene
            g_loss = self.g_optimizer.scale_loss(average(g_per_example))
        g_variables = self.generator.trainable_variables
        self.g_optimizer.apply(g_tape.gradient(g_loss, g_variables), g_variables)
        self._update_ema()

        # Trackers average over replicas (and over the epoch's steps).
        self.d_loss_tracker.update_state(tf.reduce_mean(d_per_example))
        self.g_loss_tracker.update_state(tf.reduce_mean(g_per_example))
        # BCE: the mean probability D gives; hinge: the mean raw score.
        shown = tf.sigmoid if self.loss_name == "bce" else tf.identity
        self.real_score_tracker.update_state(tf.reduce_mean(shown(real_logits)))
        if wrong_logits is not None:
            self.wrong_score_tracker.update_state(tf.reduce_mean(shown(wrong_logits)))
        self.fake_score_tracker.update_state(tf.reduce_mean(shown(fake_logits)))
        if self.scene_weight:
            self.scene_tracker.update_state(tf.reduce_mean(scene))
        if self.aux_weight:
            for tracker, logits in zip(
                self.class_trackers, (real_classes, fake_classes), strict=True
            ):
                hits = tf.argmax(logits, -1, output_type=tf.int32) == classes
                tracker.update_state(tf.cast(hits, tf.float32), sample_weight=class_weights)
        logs = {m.name: m.result() for m in self.metrics}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Under multi-worker, Keras averages step outputs over all replicas with
            # strategy.reduce("MEAN", axis=0), which needs an axis to reduce: give each
            # value a length-1 one, so the logs are the global means.
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def _scene_term(
        self, fake: tf.Tensor, encoding: tf.Tensor, z: tf.Tensor, labels: tf.Tensor
    ) -> tf.Tensor:
        """[batch] scene differences between G(z_i, c_i) (`fake`) and G(z_i, c_{i+1}),
        the next pair's condition under the same noise, where pairs i and i+1 are the same
        instrument (0 elsewhere: another instrument is another scene).

        The pairs are formed within this replica's part of the batch (the last with the
        first), so replicas pair other examples than one device would.
        """
        moved = self.generator((tf.roll(encoding, -1, axis=0), z), training=True)
        same = tf.cast(tf.equal(labels, tf.roll(labels, -1, axis=0)), tf.float32)
        return same * scene_difference(fake, moved)

    def _aux_classes(self, batch: dict) -> tuple[tf.Tensor, tf.Tensor]:
        """The auxiliary head's [batch] int32 classes and [batch] float32 weights: the
        instrument of every pair, or the MIDI pitch of each note with weight 0 for a
        rest (pitch -1)."""
        if self.aux_target == "instrument":
            labels = tf.cast(batch["label"], tf.int32)
            return labels, tf.ones(tf.shape(labels), tf.float32)
        pitch = tf.cast(batch["pitch"], tf.int32)
        return tf.maximum(pitch, 0), tf.cast(pitch >= 0, tf.float32)

    def _update_ema(self) -> None:
        """ema = d * ema + (1 - d) * w over all generator weights (BN statistics too),
        d = min(ema_decay, (1 + t) / (10 + t)) at generator step t.

        Runs on every replica: each updates its own copy of the EMA variables from its
        copy of the generator's, which `tf.distribute` keeps identical (mirrored
        trainable variables, synchronised batch-norm statistics), so the copies stay
        identical without any cross-replica communication.
        """
        if self.ema_generator is None:
            return
        # Warm-up: with a fixed d of 0.999 a run of a few hundred steps would sample
        # from a generator still mostly at its random initialisation. The effective
        # decay min(d, (1 + t) / (10 + t)) grows with the step t.
        t = tf.cast(self.g_optimizer.iterations, tf.float32)
        d = tf.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for ema, weight in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            ema.assign(d * ema + (1.0 - d) * weight)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras' pre-fit build on the first batch, working under multi-worker too.

        Keras (3.15) turns the first distributed batch into one batch with
        `strategy.reduce("MEAN", ...)`, which MultiWorkerMirroredStrategy cannot do for a
        dict of tensors (keras-team/keras#20329: "Attempt to convert a value ({'sound':
        PerReplica...}) to a Tensor"). A symbolic build needs only shapes and dtypes, so
        this worker's own part of the batch serves as well.
        """
        strategy = self.distribute_strategy
        if iterator is not None and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            for _, _, it in iterator:
                data_batch = tf.nest.map_structure(
                    lambda x: strategy.experimental_local_results(x)[0], next(it)
                )
                break
            iterator = None
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def call(self, inputs, training: bool = False):
        """Samples of the trained (not EMA) generator, in inference mode.

        Args:
            inputs: (raw condition, z), or a pipeline batch (dict), whose conditions get
                noise from the sampling seed. Keras calls the model on a batch
                symbolically in `fit` when some layer is unbuilt (e.g. an encoder's
                training-only augmentation layers, which a frozen encoder never runs).
        """
        if isinstance(inputs, dict):
            condition = inputs["sound"] if self.direction == "s2i" else inputs["image"]
            return self.generate(condition, use_ema=False)
        condition_input, z = inputs
        return self.generator((self.encode(condition_input), z), training=False)


def make_gan(config: Config, encoder: keras.Model, num_classes: int = 0) -> GanCls:
    """The networks of `config`'s direction at its model sizes, wrapped in an uncompiled
    GanCls with the run's GAN settings (mismatch term unless S2I-N, EMA, DiffAugment,
    AC-GAN weight, seed). Call inside the strategy scope it will train in.

    `num_classes` (the data's instruments, or the MIDI pitches for `aux_target`
    'pitch') gives the discriminator the auxiliary classifier that
    `config.gan.aux_weight` trains; 0 leaves it out.
    """
    gan = config.gan
    aux_weight = gan.aux_weight if num_classes else 0.0
    # The EMA's decay: a half-life in steps, or the fixed 0.999 of the paper-era runs.
    decay = 0.5 ** (1.0 / gan.ema_half_life) if gan.ema_half_life else 0.999
    # Generator first, then discriminator: creation order fixes the initial weights.
    generator = make_generator(config)
    discriminator = make_discriminator(config, num_classes if aux_weight else 0)
    return GanCls(
        generator,
        discriminator,
        encoder,
        direction=config.direction,
        z_dim=config.model.z_dim,
        wrong_pairs=gan.variant != "n",
        ema_decay=decay if gan.ema else None,
        augment=gan.augment,
        seed=config.train.seed,
        aux_weight=aux_weight,
        aux_target=gan.aux_target,
        loss=gan.loss,
        r1_weight=gan.r1_weight,
        r1_every=gan.r1_every,
        scene_weight=gan.scene_weight,
    )
