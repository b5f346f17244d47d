"""Similarity metrics: CosineSimilarity, Dice and BleuScore."""
from collections import Counter

import numpy as np

from .metric import Metric, rearrange_inputs, _check_choice, _check_inputs_count, _check_type

__all__ = ["CosineSimilarity", "Dice", "BleuScore"]


class CosineSimilarity(Metric):
    """The similarity matrix of the rows of one input: 'cosine' (normalized rows) or 'dot' products.

    ``reduction`` 'none' returns the (N, N) matrix, 'sum'/'mean' reduce its last axis; ``zero_diagonal`` zeroes the
    self-similarities first.
    """

    def __init__(self, similarity="cosine", reduction="none", zero_diagonal=True):
        super().__init__()
        self.similarity = _check_choice("CosineSimilarity", "similarity", similarity, ("dot", "cosine"))
        self.reduction = _check_choice("CosineSimilarity", "reduction", reduction, ("none", "sum", "mean"))
        self.zero_diagonal = _check_type("CosineSimilarity", "zero_diagonal", zero_diagonal, (bool,), "bool")
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self.sqr_mtx_res = 0
        self._is_update = False

    @rearrange_inputs
    def update(self, inputs):
        """Take the input matrix (N, D); each update replaces the previous one."""
        data = self._convert_data(inputs)
        if self.similarity == "cosine":
            norms = np.linalg.norm(data, ord=2, axis=1)
            data = data / np.expand_dims(norms, 1)
        self.sqr_mtx_res = np.dot(data, data.T)
        self._is_update = True

    def eval(self):
        """The similarity matrix, or its rows reduced."""
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        result = np.array(self.sqr_mtx_res, copy=True)
        if self.zero_diagonal:
            np.fill_diagonal(result, 0)
        if self.reduction == "mean":
            result = np.mean(result, axis=-1)
        elif self.reduction == "sum":
            result = np.sum(result, axis=-1)
        return result


class Dice(Metric):
    """The Dice coefficient 2 <y_pred, y> / (<y_pred, y_pred> + <y, y> + smooth), one value a batch, averaged
    over the samples (the batch's value is added once and the sample count by its first dimension, as MindSpore
    does)."""

    def __init__(self, smooth=1e-5):
        super().__init__()
        _check_type("Dice", "smooth", smooth, (float,), "float")
        if not smooth > 0:
            raise ValueError(f"For 'Dice', the argument 'smooth' must be positive, but got {smooth}.")
        self.smooth = smooth
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._dice_coeff_sum = 0
        self._samples_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)`` of the same shape (N, ...)."""
        _check_inputs_count("Dice", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        self._samples_num += y.shape[0]
        if y_pred.shape != y.shape:
            raise ValueError(f"For 'Dice.update', predicted value (input[0]) and true value (input[1]) should have "
                             f"same shape, but got predicted value shape: {y_pred.shape}, true value shape: "
                             f"{y.shape}.")
        p = y_pred.flatten()
        t = y.flatten()
        intersection = np.dot(p, t)
        union = np.dot(p, p) + np.dot(t, t)
        self._dice_coeff_sum += 2 * float(intersection) / float(union + self.smooth)

    def eval(self):
        """The Dice coefficient (float)."""
        if self._samples_num == 0:
            raise RuntimeError("The 'Dice coefficient' can not be calculated, because the number of samples is 0, "
                               "please check whether has called update method before calling eval method.")
        return self._dice_coeff_sum / float(self._samples_num)


def _count_ngrams(tokens, n_gram):
    """All 1..n_gram-grams of ``tokens`` with their counts."""
    counter = Counter()
    for n in range(1, n_gram + 1):
        for start in range(len(tokens) - n + 1):
            counter[tuple(tokens[start:start + n])] += 1
    return counter


class BleuScore(Metric):
    """Corpus BLEU: clipped n-gram precisions (n = 1..n_gram) combined geometrically, times the brevity penalty.

    ``update(candidate_corpus, reference_corpus)``: a list of token lists, and for each a list of references.
    """

    def __init__(self, n_gram=4, smooth=False):
        super().__init__()
        _check_type("BleuScore", "n_gram", n_gram, (int,), "int")
        if n_gram > 4 or n_gram < 1:
            raise ValueError(f"For 'BleuScore', the argument 'n_gram' should range from 1 to 4, but got {n_gram}.")
        self.n_gram = n_gram
        self.smooth = _check_type("BleuScore", "smooth", smooth, (bool,), "bool")
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._numerator = np.zeros(self.n_gram)
        self._denominator = np.zeros(self.n_gram)
        self._c = 0.0
        self._r = 0.0
        self._is_update = False

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a corpus: ``update(candidate_corpus, reference_corpus)``."""
        _check_inputs_count("BleuScore", inputs, 2, "candidate_corpus, reference_corpus")
        candidates, references_corpus = inputs
        if len(candidates) != len(references_corpus):
            raise ValueError(f"For 'BleuScore.update', 'candidate_corpus' (inputs[0]) and 'reference_corpus' "
                             f"(inputs[1]) should be equal in length, but got {len(candidates)}, "
                             f"{len(references_corpus)}")
        for candidate, references in zip(candidates, references_corpus):
            self._c += len(candidate)
            ref_lens = [len(ref) for ref in references]
            # the reference length closest to the candidate's (the first of equals)
            diffs = [abs(len(candidate) - n) for n in ref_lens]
            self._r += ref_lens[diffs.index(min(diffs))]
            candidate_counts = _count_ngrams(candidate, self.n_gram)
            reference_counts = Counter()
            for ref in references:
                reference_counts |= _count_ngrams(ref, self.n_gram)
            clipped = candidate_counts & reference_counts
            for gram, count in clipped.items():
                self._numerator[len(gram) - 1] += count
            for gram, count in candidate_counts.items():
                self._denominator[len(gram) - 1] += count
        self._is_update = True

    def eval(self):
        """The BLEU score (numpy.float64; an array 0.0 when some n-gram order has no match)."""
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        if min(self._numerator) == 0.0:
            return np.array(0.0)
        if self.smooth:
            precisions = (self._numerator + 1.0) / (self._denominator + 1.0)
        else:
            precisions = self._numerator / self._denominator
        geometric_mean = np.exp(np.sum(np.log(precisions) / self.n_gram))
        if self._c > self._r:
            brevity_penalty = np.array(1.0)
        else:
            brevity_penalty = np.exp(1 - np.array(self._r) / np.array(self._c))
        return brevity_penalty * geometric_mean
