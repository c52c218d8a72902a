"""`transformers.Trainer` with checkpoints that a kill cannot corrupt: each one is written under a hidden staging
folder and renamed into place (`checkpoint-N`) only when complete, so `--resume` only ever finds whole checkpoints."""

import os
import shutil
import warnings

from transformers import Seq2SeqTrainer, Trainer
from transformers.trainer import TRAINER_STATE_NAME
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, sort_checkpoints

from ..atomic import delete_directory

STAGING = ".checkpoint-staging"  # not matched by transformers' checkpoint-N pattern
RETIRED = "retired-"  # a checkpoint past save_total_limit, moved into the staging folder to be deleted
# EncoderDecoderModel warns on every call with labels that its loss is computed outside the decoder, as it has since
# transformers 4.12; minformer's decoder never computes that loss, so during training the warning tells nothing
ENCODER_DECODER_LOSS_WARNING = "Version v4.12.0 introduces a better way to train encoder-decoder models"


class AtomicCheckpoints:
    """Mixed into a Trainer class: checkpoint writing becomes write-then-rename."""

    def _save_checkpoint(self, model, trial) -> None:
        run_dir = self._get_output_dir(trial=trial)
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staging_root = os.path.join(run_dir, STAGING)
        if self.args.should_save and os.path.isdir(staging_root):  # what a killed run left there
            for leftover in os.listdir(staging_root):
                if leftover == name or leftover.startswith(RETIRED):
                    shutil.rmtree(os.path.join(staging_root, leftover), ignore_errors=True)
        self.accelerator.wait_for_everyone()
        original_output_dir, original_limit = self.args.output_dir, self.args.save_total_limit
        self.args.output_dir, self.args.save_total_limit = staging_root, None
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self.args.output_dir, self.args.save_total_limit = original_output_dir, original_limit
        self.accelerator.wait_for_everyone()  # every process has written its part (e.g. its RNG state)
        staged, final = os.path.join(staging_root, name), os.path.join(run_dir, name)
        if self.state.best_model_checkpoint == staged:  # transformers recorded where it wrote this one
            self.state.best_model_checkpoint = final
            if self.args.should_save:  # and the checkpoint's own record says where it will be
                self.state.save_to_json(os.path.join(staged, TRAINER_STATE_NAME))
        if self.args.should_save:
            if os.path.isdir(final):
                shutil.rmtree(final)
            os.replace(staged, final)
            self._retire_old_checkpoints(run_dir, staging_root)
            if not os.listdir(staging_root):
                os.rmdir(staging_root)
        self.accelerator.wait_for_everyone()


    def _retire_old_checkpoints(self, run_dir: str, staging_root: str) -> None:
        """transformers' rotation (keep `save_total_limit`, always the newest and the best), made atomic too: each
        checkpoint to delete is first renamed into the staging folder, so a kill leaves it whole or gone."""
        limit = self.args.save_total_limit
        checkpoints = sort_checkpoints(run_dir, PREFIX_CHECKPOINT_DIR, use_mtime=False)
        if not limit or limit <= 0 or len(checkpoints) <= limit:
            return
        best = self.state.best_model_checkpoint
        protected = {checkpoints[-1]} | ({best} if best else set())
        excess = len(checkpoints) - max(limit, len(protected))
        for checkpoint in [path for path in checkpoints if path not in protected][:max(excess, 0)]:
            delete_directory(checkpoint, os.path.join(staging_root, RETIRED + os.path.basename(checkpoint)))


class MinformerTrainer(AtomicCheckpoints, Trainer):
    """The stock Trainer with atomic checkpoints."""


class MinformerSeq2SeqTrainer(AtomicCheckpoints, Seq2SeqTrainer):
    """The stock Seq2SeqTrainer with atomic checkpoints. `EncoderDecoderModel` computes a mean loss and ignores
    the Trainer's `num_items_in_batch`, so the Trainer must divide by the accumulation steps itself. Seq2SeqTrainer
    does not pass the Trainer's `optimizer_cls_and_kwargs` on (transformers 5.16-5.24): taken here (--optimizer)."""

    def __init__(self, *args, optimizer_cls_and_kwargs: tuple[type, dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.optimizer_cls_and_kwargs = optimizer_cls_and_kwargs  # read by Trainer.create_optimizer
        self.model_accepts_loss_kwargs = False

    def compute_loss(self, *args, **kwargs):
        with warnings.catch_warnings():  # scoped to this call: the user's own filters stay as they are
            warnings.filterwarnings("ignore", message=ENCODER_DECODER_LOSS_WARNING)
            return super().compute_loss(*args, **kwargs)
