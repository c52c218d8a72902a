"""transformers' own common model tests (`ModelTesterMixin`) on minformer's classes, and on GPT-2's and BERT's with
the same tester, so that a test failing for minformer is a minformer defect unless it fails for them too."""

import unittest

import pytest
from transformers import (
    BertConfig,
    BertForMaskedLM,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    GPT2Config,
    GPT2ForSequenceClassification,
    GPT2LMHeadModel,
    GPT2Model,
)

import minformer
from tests.conftest import decoder_config, encoder_config
from tests.transformers_common import common_test_module

try:
    common = common_test_module()
except OSError as error:  # offline and not cached
    pytest.skip(str(error), allow_module_level=True)

SIZES = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)


class Tester:
    """What `ModelTesterMixin` asks of a model tester: a config, the inputs every class takes, and their sizes."""

    batch_size, seq_length, is_training, num_labels = 3, 7, True, 3

    def __init__(self, parent, make_config):
        self.parent, self.make_config = parent, make_config
        self.vocab_size, self.hidden_size = SIZES["vocab_size"], SIZES["hidden_size"]
        self.num_hidden_layers, self.num_attention_heads = SIZES["num_hidden_layers"], SIZES["num_attention_heads"]

    def get_config(self):
        return self.make_config()

    def prepare_config_and_inputs_for_common(self):
        input_ids = common.ids_tensor([self.batch_size, self.seq_length], self.vocab_size - 3) + 3  # no special ids
        attention_mask = common.random_attention_mask([self.batch_size, self.seq_length])
        return self.get_config(), {"input_ids": input_ids, "attention_mask": attention_mask}


class CommonTests(common.ModelTesterMixin):
    make_config = None

    def setUp(self):
        self.model_tester = Tester(self, type(self).make_config)


class MinformerDecoderTest(CommonTests, common.GenerationTesterMixin, unittest.TestCase):
    all_model_classes = (minformer.MinformerDecoderModel, minformer.MinformerDecoderForCausalLM,
                         minformer.MinformerDecoderForSequenceClassification)
    make_config = staticmethod(lambda: decoder_config(**SIZES, num_labels=3, pad_token_id=0))


class MinformerEncoderTest(CommonTests, unittest.TestCase):
    all_model_classes = (minformer.MinformerEncoderModel, minformer.MinformerEncoderForMaskedLM,
                         minformer.MinformerEncoderForSequenceClassification,
                         minformer.MinformerEncoderForTokenClassification)
    make_config = staticmethod(lambda: encoder_config(**SIZES, num_labels=3))


class GPT2Test(CommonTests, common.GenerationTesterMixin, unittest.TestCase):
    all_model_classes = (GPT2Model, GPT2LMHeadModel, GPT2ForSequenceClassification)
    make_config = staticmethod(lambda: GPT2Config(vocab_size=99, n_embd=32, n_layer=2, n_head=4, n_inner=37,
                                                  n_positions=64, num_labels=3, pad_token_id=0))


class BertTest(CommonTests, unittest.TestCase):
    all_model_classes = (BertModel, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification)
    make_config = staticmethod(lambda: BertConfig(**SIZES, max_position_embeddings=64, num_labels=3))
