"""Class names for a labelled dataset, and its labels turned into class ids 0..L-1: one mapping for a label per text
(sequence classification) and a tag per word (token classification).

A `ClassLabel` feature already names its classes; integer labels are class ids (gaps are refused unless
`--num-labels` says how many classes there are); any other labels (strings) become classes in sorted order."""

import datasets

from ..errors import UserError
from ..validation import check_positive_int


def _check_filled(values: list, split: str) -> None:
    """Refuse an empty label (None, NaN from a CSV, or blank text), naming its row."""
    for row, value in enumerate(values):
        if value is None or value != value or (isinstance(value, str) and not value.strip()):
            raise UserError(f"row {row + 1} of the {split} split has an empty label; give every row a label (or "
                            "remove the rows without one).")


def _class_count(values: list[int], num_labels: int | None) -> int:
    """How many classes integer labels (class ids) stand for: 0..max unless --num-labels says more; gaps in the ids
    without --num-labels are refused (labels {0, 1, 7} would silently make 8 classes)."""
    if min(values) < 0:
        raise UserError(f"integer labels must be class ids 0, 1, 2, ...; the data has {min(values)}.")
    count = num_labels if num_labels is not None else max(values) + 1
    if max(values) >= count:
        raise UserError(f"the data has label {max(values)} but --num-labels is {num_labels}; class ids must be "
                        f"below it: pass --num-labels {max(values) + 1} or fix the label column.")
    absent = sorted(set(range(count)) - set(values))
    if absent and num_labels is None:
        raise UserError(f"the integer labels are {', '.join(map(str, values[:10]))}: class ids "
                        f"{', '.join(map(str, absent[:10]))} never occur. Pass --num-labels {count} if the model "
                        f"should still have {count} classes, or renumber the labels 0..{len(values) - 1}.")
    return count


def label_names(data: datasets.DatasetDict, num_labels: int | None = None,
                per_token: bool = False) -> tuple[datasets.DatasetDict, list[str]]:
    """The class names, with the `label` column (a list of tags per row when `per_token`) turned into class ids;
    a count that does not match `num_labels` is an error."""
    if num_labels is not None:
        check_positive_int(num_labels, "--num-labels")
    feature = data["train"].features["label"]
    if per_token:
        feature = getattr(feature, "feature", feature)  # Sequence(ClassLabel) / List(ClassLabel) -> ClassLabel
    if isinstance(feature, datasets.ClassLabel):
        names = list(feature.names)
    else:
        by_split = {split: [tag for tags in rows["label"] for tag in tags] if per_token else rows["label"]
                    for split, rows in data.items()}
        if not per_token:  # token classification checked its tags row by row (check_rows)
            for split, values in by_split.items():
                _check_filled(values, split)
        values = sorted({value for split_values in by_split.values() for value in split_values}, key=str)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return data, [str(v) for v in range(_class_count(values, num_labels))]
        names = [str(v) for v in values]
        index = {value: i for i, value in enumerate(values)}
        if per_token:
            data = data.map(lambda row: {"label": [index[tag] for tag in row["label"]]})
        else:
            data = data.map(lambda row: {"label": index[row["label"]]})
    if num_labels is not None and len(names) != num_labels:
        raise UserError(f"the data has {len(names)} labels ({', '.join(names[:10])}) but --num-labels is "
                        f"{num_labels}; pass --num-labels {len(names)} or fix the label column.")
    return data, names


def labels_as_ids(data: datasets.DatasetDict, label2id: dict[str, int]) -> datasets.DatasetDict:
    """The `label` column as a trained classifier's class ids: label names (strings, or a ClassLabel's names) through
    the model's `label2id`, integers as class ids below its number of classes. A label the model does not know is
    refused, naming it and the labels it knows."""
    known = ", ".join(sorted(label2id, key=lambda name: label2id[name])[:20])
    feature = data["train"].features["label"]
    if isinstance(feature, datasets.ClassLabel):  # class ids of the data's own naming: compare by name
        features = datasets.Features({**data["train"].features, "label": datasets.Value("string")})
        data = data.map(lambda row: {"label": feature.int2str(row["label"])}, features=features)
    for split, rows in data.items():
        _check_filled(rows["label"], split)
        for value in set(rows["label"]):
            if isinstance(value, int) and not isinstance(value, bool):
                if not 0 <= value < len(label2id):
                    raise UserError(f"the {split} split has label {value}, but the model has {len(label2id)} classes "
                                    f"(ids 0..{len(label2id) - 1}: {known}); use the labels it was trained on.")
            elif str(value) not in label2id:
                raise UserError(f"the {split} split has the label {value!r}, which the model does not know; its labels "
                                f"are {known}. Use the labels it was fine-tuned on.")
    if data["train"].features["label"].dtype in ("string", "large_string"):
        data = data.map(lambda row: {"label": label2id[str(row["label"])]})
        data = data.cast_column("label", datasets.Value("int64"))
    return data


def label_maps(names: list[str]) -> dict:
    """The `from_pretrained` keywords that give a classifier its classes: num_labels, id2label, label2id."""
    return {"num_labels": len(names), "id2label": dict(enumerate(names)),
            "label2id": {name: i for i, name in enumerate(names)}}
