"""The held-out splits of a source that has only a train split: carved out by document when there are enough
documents, and by position in the text (the last tenth, as nanoGPT holds out the end of its token stream) when an
unlabelled corpus has too few documents to split, e.g. a whole book in one file."""

import datasets

HELD_OUT_FRACTION = 0.05  # validation and test shares carved from a source that has only a train split
MIN_ROWS_TO_SPLIT = 40  # below this, carving held-out splits by row would leave them (or train) nearly empty


def split_by_position(texts: list[str], fractions: list[float]) -> list[list[str]]:
    """Cut the documents' text, taken in order, into consecutive parts of about `fractions` of its characters (a
    cut moves forward to the next whitespace, so no word is split); a document spanning a cut is split there."""
    total = sum(len(text) for text in texts)
    cuts, bound = [], 0.0
    for fraction in fractions[:-1]:
        bound += fraction
        cuts.append(round(total * bound))
    parts: list[list[str]] = [[] for _ in fractions]
    part, offset = 0, 0  # offset: characters of the stream before the current document
    for text in texts:
        start = 0
        while part < len(cuts) and cuts[part] < offset + len(text):
            cut = max(cuts[part] - offset, start)
            while cut < len(text) and not text[cut].isspace():
                cut += 1
            if text[start:cut].strip():
                parts[part].append(text[start:cut])
            start, part = cut, part + 1
        if text[start:].strip():
            parts[part].append(text[start:])
        offset += len(text)
    return parts


def with_splits(data: datasets.DatasetDict, seed: int) -> tuple[datasets.DatasetDict, bool]:
    """Keep train/validation/test; carve missing held-out splits out of train, reproducibly with `seed`. Also says
    whether held-out text was cut from the end of the text (few documents) rather than carved by document."""
    if "train" not in data:
        raise ValueError(f"the data has no train split (splits: {sorted(data)}).")
    if "validation" not in data and "valid" in data:
        data["validation"] = data.pop("valid")
    train = data["train"]
    missing = [name for name in ("validation", "test") if name not in data]
    by_position = False
    if missing and len(train) >= MIN_ROWS_TO_SPLIT:
        carved = train.train_test_split(test_size=HELD_OUT_FRACTION * len(missing), seed=seed)
        train = carved["train"]
        if len(missing) == 2:
            halves = carved["test"].train_test_split(test_size=0.5, seed=seed)
            data["validation"], data["test"] = halves["train"], halves["test"]
        else:
            data[missing[0]] = carved["test"]
    elif missing and train.column_names == ["text"] and len(train):  # few documents of plain text: by position
        fractions = [1 - HELD_OUT_FRACTION * len(missing)] + [HELD_OUT_FRACTION] * len(missing)
        train_texts, *held_out = split_by_position(train["text"], fractions)
        train = datasets.Dataset.from_dict({"text": train_texts}, features=train.features)
        for name, texts in zip(missing, held_out):
            if texts:
                data[name] = datasets.Dataset.from_dict({"text": texts}, features=train.features)
                by_position = True
    data["train"] = train
    kept = datasets.DatasetDict({name: data[name] for name in ("train", "validation", "test") if name in data})
    return kept, by_position
