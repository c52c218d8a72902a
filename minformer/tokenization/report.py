"""What users check about a tokenizer: vocabulary size, compression on held-out text, the first merges, and an
exact decode round trip on arbitrary Unicode."""

import json
from collections.abc import Iterable

from transformers import PreTrainedTokenizerFast

# scripts, emoji with joiners and modifiers, combining marks, right-to-left text, control and unusual whitespace
UNICODE_SAMPLE = ("Grüße, naïve café — 東京タワー, 北京, 서울; Ελληνικά, русский, עברית, العربية; "
                  "emoji 👩🏽‍💻🏳️‍🌈 e\u0301 \u200b\u00a0\t\r\n \x00 \U0001d54f end")


def tokenizer_report(tokenizer: PreTrainedTokenizerFast, held_out: Iterable[str], top_merges: int = 10,
                     sample_name: str = "held-out") -> dict:
    """Numbers about `tokenizer` measured on `held_out` texts (normally not seen in training; `sample_name` says
    which texts they are)."""
    texts = [text for text in held_out if text.strip()]
    # the backend directly: held-out documents may be longer than model_max_length, which is fine for counting
    tokens = sum(len(encoding.ids) for encoding in tokenizer.backend_tokenizer.encode_batch(texts, add_special_tokens=False))
    text_bytes = sum(len(text.encode("utf-8")) for text in texts)
    words = sum(len(text.split()) for text in texts)
    backend = json.loads(tokenizer.backend_tokenizer.to_str())
    merges = backend["model"]["merges"][:top_merges]
    sample_ids = tokenizer(UNICODE_SAMPLE, add_special_tokens=False)["input_ids"]
    return {
        "vocab_size": len(tokenizer),
        "sample": sample_name,
        "sample_texts": len(texts),
        "bytes_per_token": text_bytes / tokens if tokens else float("nan"),
        "tokens_per_word": tokens / words if words else float("nan"),
        "top_merges": [" + ".join(m) if isinstance(m, list) else m for m in merges],
        "unicode_round_trip": tokenizer.decode(sample_ids) == UNICODE_SAMPLE,
    }


def format_report(report: dict) -> str:
    lines = [
        f"vocabulary size      {report['vocab_size']}",
        f"bytes per token      {report['bytes_per_token']:.2f}   ({report['sample']} sample of {report['sample_texts']} texts)",
        f"tokens per word      {report['tokens_per_word']:.2f}",
        f"first merges         {', '.join(report['top_merges'])}",
        f"unicode round trip   {'exact' if report['unicode_round_trip'] else 'NOT EXACT'}",
    ]
    return "\n".join(lines)
