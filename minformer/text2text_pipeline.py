"""A text-to-text generation pipeline for sequence-to-sequence models. transformers 5 removed its
`text2text-generation` task (`pipeline("text2text-generation")` raises), so minformer registers this small
implementation as the task `seq2seq-generation`: `pipeline("seq2seq-generation", model=folder)`."""

from transformers import AutoModelForSeq2SeqLM, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY, SUPPORTED_TASKS


class Text2TextGenerationPipeline(Pipeline):
    """text -> generated text: tokenise the input for the encoder, `generate()` with the decoder, decode."""

    _load_tokenizer = True

    def _sanitize_parameters(self, max_new_tokens=None, **generate_kwargs):
        if max_new_tokens is not None:
            generate_kwargs["max_new_tokens"] = max_new_tokens
        return {}, generate_kwargs, {}

    def preprocess(self, text: str):
        return self.tokenizer(text, return_tensors="pt")

    def _forward(self, model_inputs, **generate_kwargs):
        return {"output_ids": self.model.generate(**model_inputs, **generate_kwargs)}

    def postprocess(self, model_outputs):
        texts = self.tokenizer.batch_decode(model_outputs["output_ids"], skip_special_tokens=True)
        return [{"generated_text": text.strip()} for text in texts]


TASK = "seq2seq-generation"


def register_text2text_pipeline() -> None:
    if TASK not in SUPPORTED_TASKS:
        PIPELINE_REGISTRY.register_pipeline(TASK, pipeline_class=Text2TextGenerationPipeline,
                                            pt_model=AutoModelForSeq2SeqLM, type="text")
