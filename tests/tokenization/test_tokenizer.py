"""Byte-level BPE training, the family templates, saving for AutoTokenizer (5.x and 4.x readers), the report."""

import json
import random

import pytest
from transformers import AutoTokenizer

from minformer.tokenization import (
    FAMILIES,
    MIN_VOCAB_SIZE,
    SPECIAL_TOKENS,
    for_family,
    save_tokenizer,
    tokenizer_report,
    train_bpe,
)
from minformer.tokenization.report import UNICODE_SAMPLE

TEXTS = [
    "The quick brown fox jumps over the lazy dog. " * 3,
    "Transformers attend to every token; attention is all you need.",
    "Byte-level BPE never meets an unknown character: every byte is a token.",
    "Zürich, Kraków, São Paulo, Reykjavík — 東京 and 서울 too.",
] * 20


@pytest.fixture(scope="module")
def bpe():
    return train_bpe(TEXTS, vocab_size=400, min_frequency=2, show_progress=False)


def test_training_is_deterministic_and_streams_from_a_generator(bpe):
    again = train_bpe((text for text in TEXTS), vocab_size=400, min_frequency=2, show_progress=False)
    assert again.to_str() == bpe.to_str()
    assert bpe.get_vocab_size() <= 400 and bpe.get_vocab_size() > MIN_VOCAB_SIZE
    assert [bpe.token_to_id(token) for token in SPECIAL_TOKENS] == [0, 1, 2, 3, 4]


def test_min_frequency_limits_merges():
    rare = train_bpe(TEXTS, vocab_size=2000, min_frequency=1000, show_progress=False)
    assert rare.get_vocab_size() == MIN_VOCAB_SIZE  # no pair occurs 1000 times: only bytes and specials


@pytest.mark.parametrize("family", FAMILIES)
def test_save_load_round_trip_through_auto_tokenizer(bpe, family, tmp_path):
    tokenizer = for_family(bpe, family)
    save_tokenizer(tokenizer, tmp_path / "tok")
    assert sorted(p.name for p in (tmp_path / "tok").iterdir()) == ["tokenizer.json", "tokenizer_config.json"]
    config = json.loads((tmp_path / "tok" / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"  # a class transformers 4.x can import
    loaded = AutoTokenizer.from_pretrained(tmp_path / "tok")
    for text in TEXTS[:4] + [UNICODE_SAMPLE]:
        assert loaded(text)["input_ids"] == tokenizer(text)["input_ids"]
    assert loaded.padding_side == ("left" if family == "decoder" else "right")
    assert [loaded.pad_token_id, loaded.unk_token_id, loaded.bos_token_id, loaded.eos_token_id,
            loaded.mask_token_id] == [0, 1, 2, 3, 4]
    # re-saving the loaded tokenizer gives the same tokenizer.json, byte for byte
    save_tokenizer(loaded, tmp_path / "again")
    assert (tmp_path / "again" / "tokenizer.json").read_bytes() == (tmp_path / "tok" / "tokenizer.json").read_bytes()


def test_special_tokens_are_placed_per_family(bpe):
    decoder, encoder = for_family(bpe, "decoder"), for_family(bpe, "encoder")
    body = bpe.encode("attention is all you need", add_special_tokens=False).ids
    other = bpe.encode("fox", add_special_tokens=False).ids
    assert decoder("attention is all you need")["input_ids"] == [2] + body  # <s> text
    assert encoder("attention is all you need")["input_ids"] == [2] + body + [3]  # <s> text </s>
    assert encoder("attention is all you need", "fox")["input_ids"] == [2] + body + [3, 3] + other + [3]
    pad = len(body) - len(other)
    assert decoder(["fox", "attention is all you need"], padding=True)["input_ids"][0] == [0] * pad + [2] + other
    assert encoder(["fox", "attention is all you need"], padding=True)["input_ids"][0] == [2] + other + [3] + [0] * pad


def test_decode_round_trip_is_exact_on_arbitrary_unicode(bpe):
    tokenizer = for_family(bpe, "decoder")
    rng = random.Random(0)
    samples = [UNICODE_SAMPLE, "", " leading and trailing  ", "\n\n\t", "a\u0000b"]
    for _ in range(30):  # random code points from every plane (no surrogates: they are not valid text)
        samples.append("".join(chr(rng.choice([rng.randrange(32, 0xD800), rng.randrange(0xE000, 0x110000)]))
                               for _ in range(rng.randrange(1, 40))))
    for text in samples:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == text
        assert 1 not in ids  # byte-level: never <unk>


def test_report_numbers(bpe):
    tokenizer = for_family(bpe, "decoder")
    held_out = ["The lazy dog sleeps.", "Attention is all you need."]
    report = tokenizer_report(tokenizer, held_out, top_merges=3)
    tokens = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in held_out)
    assert report["vocab_size"] == len(tokenizer)
    assert report["bytes_per_token"] == pytest.approx(sum(len(t.encode()) for t in held_out) / tokens)
    assert report["tokens_per_word"] == pytest.approx(tokens / 9)  # 4 + 5 words
    assert len(report["top_merges"]) == 3 and report["unicode_round_trip"] is True


@pytest.mark.parametrize("texts, error, message", [
    ([], ValueError, "the corpus is empty"),
    (["", "   ", "\n"], ValueError, "the corpus is empty"),
    ([b"bytes"], TypeError, "must yield strings"),
])
def test_bad_corpora_are_refused(texts, error, message):
    with pytest.raises(error, match=message):
        train_bpe(texts, vocab_size=300, show_progress=False)


def test_vocab_smaller_than_bytes_plus_specials_is_refused():
    with pytest.raises(ValueError, match=r"vocab_size=260 is too small: .* at least 261"):
        train_bpe(TEXTS, vocab_size=260, show_progress=False)


def test_saving_never_leaves_a_half_written_folder(bpe, tmp_path, monkeypatch):
    good = tmp_path / "tok"
    save_tokenizer(for_family(bpe, "decoder"), good)
    before = {p.name: p.read_bytes() for p in good.iterdir()}
    with pytest.raises(FileExistsError, match="pass --overwrite"):
        save_tokenizer(for_family(bpe, "encoder"), good)
    tokenizer = for_family(bpe, "encoder")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tokenizer, "save_pretrained", crash)
    with pytest.raises(OSError, match="disk full"):
        save_tokenizer(tokenizer, good, overwrite=True)
    assert {p.name: p.read_bytes() for p in good.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tok"]  # no temporary folder left behind
    monkeypatch.undo()
    save_tokenizer(for_family(bpe, "encoder"), good, overwrite=True)
    assert AutoTokenizer.from_pretrained(good).padding_side == "right"
