"""Labelled CSVs and the evaluation of a scorer: accuracy, macro-F1, confusion matrix."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aitrader_core.errors import FormatError, ValidationError
from aitrader_core.sentiment.base import LABELS, Label, Scorer, normalize_label

#: Labels of the Twitter financial news data set (zeroshot/twitter-financial-news-sentiment).
TWITTER_LABELS: dict[str, Label] = {"0": "negative", "1": "positive", "2": "neutral"}


def read_labelled(
    path: str | Path,
    label_map: Mapping[str, Label] | None = None,
    *,
    text_column: str = "text",
    label_column: str = "label",
) -> tuple[list[str], list[Label]]:
    """Texts and labels of a CSV; a label is looked up in ``label_map``, else by name.

    The default map is :data:`TWITTER_LABELS` (0 Bearish, 1 Bullish, 2 Neutral);
    names such as ``positive``, ``Bearish`` or ``neu`` are understood anyway.
    """
    mapping = dict(TWITTER_LABELS if label_map is None else label_map)
    file = Path(path)
    try:
        opener = gzip.open if file.suffix == ".gz" else open  # .csv.gz read as text too
        with opener(file, "rt", newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            missing = [c for c in (text_column, label_column) if c not in fields]
            if missing:
                raise FormatError(
                    f"{file}: missing column(s) {', '.join(missing)}; found {', '.join(fields)}"
                )
            texts: list[str] = []
            labels: list[Label] = []
            for row_no, row in enumerate(reader, start=2):
                raw = (row[label_column] or "").strip()
                label = mapping.get(raw) or normalize_label(raw)
                if label is None:
                    raise ValidationError(
                        f"unknown label {raw!r} (map: {mapping})", field=label_column, row=row_no
                    )
                texts.append(row[text_column] or "")
                labels.append(label)
    except OSError as exc:
        raise FormatError(f"cannot read {file}: {exc}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FormatError(f"{file} is not a UTF-8 CSV: {exc}") from exc
    return texts, labels


@dataclass(frozen=True)
class Report:
    """Evaluation of a scorer on labelled texts.

    ``confusion[i][j]`` counts texts of true class ``labels[i]`` predicted as
    ``labels[j]``; ``per_class`` maps a label to (precision, recall, F1, support).
    """

    model_id: str
    n: int
    accuracy: float
    macro_f1: float
    confusion: list[list[int]]
    per_class: dict[str, tuple[float, float, float, int]]
    labels: tuple[str, ...] = LABELS

    def format(self) -> str:
        """The report as the CLI prints it.

        Examples
        --------
        >>> print(report_from(["neutral", "positive"], ["neutral", "negative"], "m").format())
        model     m
        texts     2
        accuracy  0.5000
        macro-F1  0.3333
        <BLANKLINE>
        class      precision  recall      f1  support
        negative      0.0000  0.0000  0.0000        0
        neutral       1.0000  1.0000  1.0000        1
        positive      0.0000  0.0000  0.0000        1
        <BLANKLINE>
        true \\ predicted   negative   neutral  positive
        negative                  0         0         0
        neutral                   0         1         0
        positive                  1         0         0
        """
        lines = [
            f"model     {self.model_id}",
            f"texts     {self.n}",
            f"accuracy  {self.accuracy:.4f}",
            f"macro-F1  {self.macro_f1:.4f}",
            "",
            f"{'class':<9}{'precision':>11}{'recall':>8}{'f1':>8}{'support':>9}",
        ]
        for lab in self.labels:
            p, r, f, s = self.per_class[lab]
            lines.append(f"{lab:<9}{p:>11.4f}{r:>8.4f}{f:>8.4f}{s:>9d}")
        lines += ["", "true \\ predicted " + "".join(f"{lab:>10}" for lab in self.labels)]
        for lab, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{lab:<17}" + "".join(f"{c:>10d}" for c in row))
        return "\n".join(lines)


def report_from(truth: Sequence[str], predicted: Sequence[str], model_id: str = "") -> Report:
    """Accuracy, macro-F1 (over the three classes) and the confusion matrix.

    Examples
    --------
    >>> r = report_from(["positive", "negative", "neutral"], ["positive", "neutral", "neutral"])
    >>> r.accuracy, round(r.macro_f1, 4), r.confusion
    (0.6666666666666666, 0.5556, [[0, 1, 0], [0, 1, 0], [0, 0, 1]])
    """
    if len(truth) != len(predicted):
        raise ValidationError(f"{len(truth)} labels but {len(predicted)} predictions")
    index: dict[str, int] = {lab: i for i, lab in enumerate(LABELS)}
    unknown = sorted(set(truth).union(predicted) - set(index))
    if unknown:
        raise ValidationError(f"unknown label(s) {unknown}; use {LABELS}")
    conf = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    np.add.at(conf, ([index[t] for t in truth], [index[p] for p in predicted]), 1)
    per_class: dict[str, tuple[float, float, float, int]] = {}
    for i, lab in enumerate(LABELS):
        tp, pred, support = int(conf[i, i]), int(conf[:, i].sum()), int(conf[i, :].sum())
        precision = tp / pred if pred else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[lab] = (precision, recall, f1, support)
    n = int(conf.sum())
    return Report(
        model_id=model_id,
        n=n,
        accuracy=float(np.trace(conf)) / n if n else 0.0,
        macro_f1=float(np.mean([v[2] for v in per_class.values()])),
        confusion=conf.tolist(),
        per_class=per_class,
    )


def evaluate(
    scorer: Scorer,
    data: str | Path | tuple[Sequence[str], Sequence[Label]],
    *,
    label_map: Mapping[str, Label] | None = None,
    batch_size: int = 256,
) -> Report:
    """Score labelled texts (a CSV path, or ``(texts, labels)``) and report the result.

    Examples
    --------
    >>> from aitrader_core.sentiment import LexiconScorer
    >>> r = evaluate(LexiconScorer(), (["Shares plunge", "Dividend declared"],
    ...                                ["negative", "neutral"]))
    >>> r.accuracy, r.n
    (1.0, 2)
    """
    texts, labels = (
        read_labelled(data, label_map) if isinstance(data, str | Path) else (data[0], data[1])
    )
    predicted: list[str] = []
    for start in range(0, len(texts), batch_size):
        predicted += [s.label for s in scorer.score(list(texts[start : start + batch_size]))]
    return report_from(list(labels), predicted, scorer.model_id)
