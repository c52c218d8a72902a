"""`transformers.Trainer` with checkpoints that a kill cannot corrupt: each one is written under a hidden staging
folder and renamed into place (`checkpoint-N`) only when complete, so `--resume` only ever finds whole checkpoints."""

import os
import shutil

from transformers import Trainer
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints

STAGING = ".checkpoint-staging"  # not matched by transformers' checkpoint-N pattern


class MinformerTrainer(Trainer):
    """The stock Trainer; only checkpoint writing differs (write, then rename)."""

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
