"""`transformers.Trainer` with checkpoints that a kill cannot corrupt: each one is written under a hidden staging
folder and renamed into place (`checkpoint-N`) only when complete, so `--resume` only ever finds whole checkpoints."""

import os
import shutil
import warnings

from transformers import Seq2SeqTrainer, Trainer
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints

STAGING = ".checkpoint-staging"  # not matched by transformers' checkpoint-N pattern
# EncoderDecoderModel warns on every call with labels that its loss is computed outside the decoder, as it has since
# transformers 4.12; minformer's decoder never computes that loss, so during training the warning tells nothing
ENCODER_DECODER_LOSS_WARNING = "Version v4.12.0 introduces a better way to train encoder-decoder models"


class AtomicCheckpoints:
    """Mixed into a Trainer class: checkpoint writing becomes write-then-rename."""

    def _save_checkpoint(self, model, trial) -> None:
        run_dir = self._get_output_dir(trial=trial)
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staging_root = os.path.join(run_dir, STAGING)
        if self.args.should_save:
            shutil.rmtree(os.path.join(staging_root, name), ignore_errors=True)  # left by a killed run
        self.accelerator.wait_for_everyone()
        original_output_dir, original_limit = self.args.output_dir, self.args.save_total_limit
        self.args.output_dir, self.args.save_total_limit = staging_root, None
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self.args.output_dir, self.args.save_total_limit = original_output_dir, original_limit
        self.accelerator.wait_for_everyone()  # every process has written its part (e.g. its RNG state)
        if self.args.should_save:
            final = os.path.join(run_dir, name)
            if os.path.isdir(final):
                shutil.rmtree(final)
            os.replace(os.path.join(staging_root, name), final)
            if not os.listdir(staging_root):
                os.rmdir(staging_root)
            rotate_checkpoints(output_dir=run_dir, save_total_limit=self.args.save_total_limit, use_mtime=False)
        self.accelerator.wait_for_everyone()


class MinformerTrainer(AtomicCheckpoints, Trainer):
    """The stock Trainer with atomic checkpoints."""


class MinformerSeq2SeqTrainer(AtomicCheckpoints, Seq2SeqTrainer):
    """The stock Seq2SeqTrainer with atomic checkpoints. `EncoderDecoderModel` computes a mean loss and ignores
    the Trainer's `num_items_in_batch`, so the Trainer must divide by the accumulation steps itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.model_accepts_loss_kwargs = False

    def compute_loss(self, *args, **kwargs):
        with warnings.catch_warnings():  # scoped to this call: the user's own filters stay as they are
            warnings.filterwarnings("ignore", message=ENCODER_DECODER_LOSS_WARNING)
            return super().compute_loss(*args, **kwargs)
