"""sporen.train.metrics against scikit-learn (when installed), scipy (when installed), hand-computed values and
the values printed in MindSpore's documentation."""
import numpy as np
import pytest

import sporen as ms
from sporen import nn
from sporen.train import metrics as M



def _skm():
    return pytest.importorskip("sklearn.metrics")


def _random_classification(rng, n=200, c=5):
    scores = rng.random((n, c)).astype(np.float32)
    labels = rng.integers(0, c, n)
    return scores, labels


# ---- base class -------------------------------------------------------------------------------------------

def test_inputs_tensor_list_ndarray_same_result():
    x = [[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]]
    y = [1, 0, 1]
    expected = 2 / 3
    assert M.Accuracy()(x, y) == pytest.approx(expected)
    assert M.Accuracy()(np.array(x), np.array(y)) == pytest.approx(expected)
    assert M.Accuracy()(ms.Tensor(np.array(x), ms.float32), ms.Tensor(np.array(y))) == pytest.approx(expected)


def test_bad_input_type_is_type_error():
    with pytest.raises(TypeError, match="tensor, list or numpy.ndarray"):
        M.MAE().update((1.0, 2.0), np.array([1.0, 2.0]))


def test_set_indexes_rearranges_update_inputs():
    x = np.array([[0.1, 0.2, 0.6, 0.9], [0.1, 0.2, 0.6, 0.9]], np.float32)
    y = np.full((2, 4), 0.1, np.float32)
    y2 = np.array([[0.1, 0.25, 0.7, 0.9], [0.1, 0.25, 0.7, 0.9]], np.float32)
    metric = M.MAE().set_indexes([0, 2])
    assert metric.indexes == [0, 2]
    metric.update(x, y, y2)
    assert metric.eval() == pytest.approx(np.abs(x - y2).sum() / 2)
    with pytest.raises(ValueError, match="indexes"):
        M.MAE().set_indexes((0, 1))


def test_rearrange_inputs_decorator_on_a_user_class():
    class Example:
        def __init__(self):
            self._indexes = None

        @property
        def indexes(self):
            return self._indexes

        @M.rearrange_inputs
        def update(self, *inputs):
            return inputs

    example = Example()
    assert example.update(5, 9) == (5, 9)
    example._indexes = [1, 0]
    assert example.update(5, 9) == (9, 5)


def test_custom_metric_subclass_and_abstract_base():
    with pytest.raises(TypeError):
        M.Metric()

    class Count(M.Metric):
        def clear(self):
            self.n = 0

        def update(self, *inputs):
            self.n += len(inputs[0])

        def eval(self):
            return self.n

    assert Count()([1, 2, 3]) == 3


@pytest.mark.parametrize("metric", [M.Accuracy(), M.Precision(), M.Recall(), M.F1(), M.Fbeta(2), M.MAE(), M.MSE(),
                                    M.Loss(), M.Top1CategoricalAccuracy(), M.Dice(), M.Perplexity(), M.ROC(),
                                    M.ConfusionMatrix(2), M.CosineSimilarity(), M.BleuScore(),
                                    M.HausdorffDistance(), M.MeanSurfaceDistance(), M.RootMeanSquareDistance(),
                                    M.OcclusionSensitivity(), M.ConfusionMatrixMetric(calculation_method=True)])
def test_eval_before_update_is_runtime_error(metric):
    with pytest.raises(RuntimeError):
        metric.eval()


def test_names_and_get_metric_fn():
    assert M.names() == sorted(M.names())
    assert "acc" in M.names() and "F1" in M.names() and "confusion_matrix_metric" in M.names()
    assert isinstance(M.get_metric_fn("acc"), M.Accuracy)
    precision = M.get_metric_fn("precision", eval_type="multilabel")
    assert isinstance(precision, M.Precision) and precision._type == "multilabel"
    with pytest.raises(KeyError):
        M.get_metric_fn("nope")
    assert set(M.get_metrics({"acc", "loss"})) == {"acc", "loss"}
    with pytest.raises(TypeError):
        M.get_metrics(["acc"])


def test_train_namespace_exports_metrics():
    from sporen import train
    assert train.Accuracy is M.Accuracy
    assert train.auc is M.auc
    assert train.get_metric_fn is M.get_metric_fn


# ---- classification ---------------------------------------------------------------------------------------

def test_accuracy_against_sklearn_over_batches():
    skm = _skm()
    rng = np.random.default_rng(0)
    scores, labels = _random_classification(rng)
    metric = M.Accuracy("classification")
    for start in range(0, 200, 64):
        metric.update(ms.Tensor(scores[start:start + 64]), labels[start:start + 64])
    assert metric.eval() == pytest.approx(skm.accuracy_score(labels, scores.argmax(1)))


def test_accuracy_one_hot_labels_and_multilabel():
    skm = _skm()
    rng = np.random.default_rng(1)
    scores, labels = _random_classification(rng, 50, 4)
    assert M.Accuracy()(scores, np.eye(4)[labels]) == pytest.approx(skm.accuracy_score(labels, scores.argmax(1)))
    pred = rng.integers(0, 2, (60, 3))
    true = rng.integers(0, 2, (60, 3))
    # multilabel accuracy is the exact-match ratio, sklearn's accuracy_score on indicator matrices
    assert M.Accuracy("multilabel")(pred, true) == pytest.approx(skm.accuracy_score(true, pred))


def test_accuracy_errors():
    with pytest.raises(TypeError, match="eval_type"):
        M.Accuracy("regression")
    with pytest.raises(ValueError, match="dimension"):
        M.Accuracy()(np.zeros((3, 2)), np.zeros((3, 2, 1)))
    with pytest.raises(ValueError, match="0 or 1"):
        M.Accuracy("multilabel")(np.full((2, 2), 0.5), np.ones((2, 2)))
    with pytest.raises(ValueError, match="2 inputs"):
        M.Accuracy().update(np.zeros((2, 2)))
    metric = M.Accuracy()
    metric.update(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="class number not match"):
        metric.update(np.zeros((2, 4)), np.zeros(2))


@pytest.mark.parametrize("name", ["precision", "recall"])
def test_precision_recall_against_sklearn(name):
    skm = _skm()
    rng = np.random.default_rng(2)
    scores, labels = _random_classification(rng, 300, 6)
    metric = M.Precision() if name == "precision" else M.Recall()
    metric.update(scores[:150], labels[:150])
    metric.update(ms.Tensor(scores[150:]), ms.Tensor(labels[150:]))
    reference = getattr(skm, f"{name}_score")
    expected = reference(labels, scores.argmax(1), average=None, labels=list(range(6)), zero_division=0)
    np.testing.assert_allclose(metric.eval(), expected)
    assert metric.eval(average=True) == pytest.approx(expected.mean())
    with pytest.raises(TypeError, match="average"):
        metric.eval(average=1)


def test_precision_recall_multilabel_hand_computed():
    pred = np.array([[1, 0, 1], [0, 1, 1]])
    true = np.array([[1, 1, 0], [0, 1, 1]])
    # MindSpore counts multilabel inputs per sample, over the classes: sample 0 tp 1 of 2 predicted (2 actual),
    # sample 1 tp 2 of 2 predicted (2 actual)
    np.testing.assert_allclose(M.Precision("multilabel")(pred, true), [0.5, 1.0])
    np.testing.assert_allclose(M.Recall("multilabel")(pred, true), [0.5, 1.0])
    precision = M.Precision("multilabel")
    precision.update(pred, true)
    assert precision.eval(average=True) == pytest.approx(0.75)


@pytest.mark.parametrize("beta", [0.5, 1, 2.0])
def test_fbeta_against_sklearn(beta):
    skm = _skm()
    rng = np.random.default_rng(3)
    scores, labels = _random_classification(rng, 250, 4)
    metric = M.Fbeta(beta) if beta != 1 else M.F1()
    metric.update(scores, labels)
    expected = skm.fbeta_score(labels, scores.argmax(1), beta=beta, average=None, zero_division=0)
    np.testing.assert_allclose(metric.eval(), expected)
    assert metric.eval(True) == pytest.approx(expected.mean())
    if beta == 1:
        np.testing.assert_allclose(metric.eval(), skm.f1_score(labels, scores.argmax(1), average=None))


def test_fbeta_documented_example_and_errors():
    x = ms.Tensor(np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]]))
    y = ms.Tensor(np.array([1, 0, 1]))
    np.testing.assert_allclose(M.F1()(x, y), [2 / 3, 2 / 3])
    with pytest.raises(ValueError, match="beta"):
        M.Fbeta(0)
    with pytest.raises(ValueError, match="same classes"):
        M.F1()(np.zeros((2, 2)), np.array([0, 2]))


def test_topk_against_numpy_and_documented_values():
    x = np.array([[0.2, 0.5, 0.3, 0.6, 0.2], [0.1, 0.35, 0.5, 0.2, 0.], [0.9, 0.6, 0.2, 0.01, 0.3]], np.float32)
    y = np.array([2, 0, 1], np.float32)
    assert M.TopKCategoricalAccuracy(3)(x, y) == pytest.approx(2 / 3)
    assert M.Top1CategoricalAccuracy()(x, y) == 0.0
    assert M.Top5CategoricalAccuracy()(x, y) == 1.0
    skm = _skm()
    rng = np.random.default_rng(4)
    scores, labels = _random_classification(rng, 120, 10)
    metric = M.TopKCategoricalAccuracy(3)
    metric.update(scores, np.eye(10)[labels])
    assert metric.eval() == pytest.approx(skm.top_k_accuracy_score(labels, scores, k=3))
    with pytest.raises(TypeError):
        M.TopKCategoricalAccuracy(2.0)
    with pytest.raises(ValueError):
        M.TopKCategoricalAccuracy(0)


# ---- errors and losses ------------------------------------------------------------------------------------

def test_mae_mse_against_sklearn():
    skm = _skm()
    rng = np.random.default_rng(5)
    pred = rng.normal(size=(40, 3))
    true = rng.normal(size=(40, 3))
    mae = M.MAE()
    mse = M.MSE()
    for start in (0, 25):
        mae.update(pred[start:start + 25 if start == 0 else None], true[start:start + 25 if start == 0 else None])
        mse.update(pred[start:start + 25 if start == 0 else None], true[start:start + 25 if start == 0 else None])
    # MindSpore divides the summed error of all elements by the number of samples (rows)
    assert mae.eval() == pytest.approx(skm.mean_absolute_error(true, pred) * 3)
    assert mse.eval() == pytest.approx(skm.mean_squared_error(true, pred) * 3)
    assert M.MAE()(pred[:, 0], true[:, 0]) == pytest.approx(skm.mean_absolute_error(true[:, 0], pred[:, 0]))
    assert M.MSE()(pred[:, 0], true[:, 0]) == pytest.approx(skm.mean_squared_error(true[:, 0], pred[:, 0]))


def test_mae_mse_documented_values():
    x = ms.Tensor(np.array([0.1, 0.2, 0.6, 0.9]), ms.float32)
    assert M.MAE()(x, ms.Tensor(np.array([0.1, 0.25, 0.7, 0.9]), ms.float32)) == 0.037499990314245224
    assert M.MSE()(x, ms.Tensor(np.array([0.1, 0.25, 0.5, 0.9]), ms.float32)) == 0.0031250009778887033


def test_loss_average():
    loss = M.Loss()
    loss.update(ms.Tensor(np.array(0.2), ms.float32))
    assert loss.eval() == 0.20000000298023224
    loss.update(np.array([1.0, 3.0]))
    assert loss.eval() == pytest.approx((0.2 + 2.0) / 2)
    with pytest.raises(ValueError, match="dimension"):
        loss.update(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="1 input"):
        loss.update(np.zeros(2), np.zeros(2))


def test_perplexity_hand_computed_and_ignore_label():
    x = np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]])
    y = np.array([1, 0, 1])
    expected = np.exp(-np.mean(np.log([0.5, 0.3, 0.6])))
    assert M.Perplexity()(x, y) == pytest.approx(expected)
    assert M.Perplexity()(x, y) == pytest.approx(2.231443166940565)
    ignored = M.Perplexity(ignore_label=0)(x, y)
    assert ignored == pytest.approx(np.exp(-np.mean(np.log([0.5, 0.6]))))
    with pytest.raises(RuntimeError, match="shape"):
        M.Perplexity()(x, np.array([1, 0]))
    with pytest.raises(TypeError):
        M.Perplexity(ignore_label=1.0)


# ---- curves -----------------------------------------------------------------------------------------------

def test_roc_binary_against_sklearn():
    skm = _skm()
    rng = np.random.default_rng(6)
    scores = np.round(rng.random(80), 1)  # ties, so the curve has fewer points than samples
    labels = rng.integers(0, 2, 80)
    fpr, tpr, thresholds = M.ROC()(scores, labels)
    ref_fpr, ref_tpr, ref_thresholds = skm.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr)
    np.testing.assert_allclose(tpr, ref_tpr)
    np.testing.assert_allclose(thresholds[1:], ref_thresholds[1:])
    assert thresholds[0] == pytest.approx(thresholds[1] + 1)
    assert M.auc(fpr, tpr) == pytest.approx(skm.roc_auc_score(labels, scores))
    assert M.auc(fpr, tpr) == pytest.approx(skm.auc(ref_fpr, ref_tpr))


def test_roc_multiclass_one_vs_rest_against_sklearn():
    skm = _skm()
    rng = np.random.default_rng(7)
    scores, labels = _random_classification(rng, 60, 3)
    fpr, tpr, _ = M.ROC(class_num=3)(scores, labels)
    for c in range(3):
        ref_fpr, ref_tpr, _ = skm.roc_curve(labels == c, scores[:, c], drop_intermediate=False)
        np.testing.assert_allclose(fpr[c], ref_fpr)
        np.testing.assert_allclose(tpr[c], ref_tpr)


def test_roc_documented_values_and_errors():
    fpr, tpr, thresholds = M.ROC(pos_label=2)(np.array([3, 1, 4, 2]), np.array([0, 1, 2, 3]))
    np.testing.assert_allclose(fpr, [0, 0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(tpr, [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(thresholds, [5, 4, 3, 2, 1])
    with pytest.raises(ValueError, match="pos_label"):
        M.ROC(class_num=2, pos_label=1)(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="class_num"):
        M.ROC(class_num=3)(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="no negative"):
        M.ROC()(np.array([0.1, 0.2]), np.array([1, 1]))


def test_auc_rules():
    x = np.array([0.0, 0.5, 1.0])
    y = np.array([0.0, 1.0, 1.0])
    assert M.auc(x, y) == pytest.approx(0.75)
    assert M.auc(x[::-1], y[::-1]) == pytest.approx(0.75)
    assert M.auc(np.array([1.0, 0.0, 0.5]), np.array([1.0, 0.0, 1.0]), reorder=True) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="increasing or decreasing"):
        M.auc(np.array([1.0, 0.0, 0.5]), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(TypeError):
        M.auc([0, 1], [0, 1])
    with pytest.raises(ValueError):
        M.auc(np.array([0.0]), np.array([1.0]))


# ---- confusion matrices -----------------------------------------------------------------------------------

@pytest.mark.parametrize("normalize", ["no_norm", "target", "prediction", "all"])
def test_confusion_matrix_against_sklearn(normalize):
    skm = _skm()
    rng = np.random.default_rng(8)
    scores, labels = _random_classification(rng, 90, 4)
    metric = M.ConfusionMatrix(4, normalize=normalize)
    metric.update(scores[:40], labels[:40])
    metric.update(scores[40:], labels[40:])
    sk_normalize = {"no_norm": None, "target": "true", "prediction": "pred", "all": "all"}[normalize]
    expected = skm.confusion_matrix(labels, scores.argmax(1), labels=range(4), normalize=sk_normalize)
    np.testing.assert_allclose(metric.eval(), expected)


def test_confusion_matrix_threshold_and_empty_rows():
    metric = M.ConfusionMatrix(2, normalize="target", threshold=0.3)
    metric.update(np.array([0.2, 0.4, 0.9]), np.array([1, 1, 1]))
    # no true class 0: that row is 0/0, reported as zeros
    np.testing.assert_allclose(metric.eval(), [[0, 0], [1 / 3, 2 / 3]])
    with pytest.raises(TypeError):
        M.ConfusionMatrix(2, threshold=1)
    with pytest.raises(ValueError, match="normalize"):
        M.ConfusionMatrix(2, normalize="rows")


def _counts(pred, true):
    tp = float(np.sum((pred == 1) & (true == 1)))
    fp = float(np.sum((pred == 1) & (true == 0)))
    tn = float(np.sum((pred == 0) & (true == 0)))
    fn = float(np.sum((pred == 0) & (true == 1)))
    return tp, fp, tn, fn


@pytest.mark.parametrize("name,formula", [
    ("sensitivity", lambda tp, fp, tn, fn: tp / (tp + fn)),
    ("specificity", lambda tp, fp, tn, fn: tn / (tn + fp)),
    ("precision", lambda tp, fp, tn, fn: tp / (tp + fp)),
    ("negative predictive value", lambda tp, fp, tn, fn: tn / (tn + fn)),
    ("miss rate", lambda tp, fp, tn, fn: fn / (fn + tp)),
    ("fall out", lambda tp, fp, tn, fn: fp / (fp + tn)),
    ("false discovery rate", lambda tp, fp, tn, fn: fp / (fp + tp)),
    ("false omission rate", lambda tp, fp, tn, fn: fn / (fn + tn)),
    ("threat score", lambda tp, fp, tn, fn: tp / (tp + fn + fp)),
    ("accuracy", lambda tp, fp, tn, fn: (tp + tn) / (tp + fp + tn + fn)),
    ("balanced accuracy", lambda tp, fp, tn, fn: (tp / (tp + fn) + tn / (tn + fp)) / 2),
    ("f1 score", lambda tp, fp, tn, fn: 2 * tp / (2 * tp + fn + fp)),
    ("matthews correlation coefficient",
     lambda tp, fp, tn, fn: (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))),
    ("fowlkes mallows index", lambda tp, fp, tn, fn: np.sqrt(tp / (tp + fp) * tp / (tp + fn))),
    ("informedness", lambda tp, fp, tn, fn: tp / (tp + fn) + tn / (tn + fp) - 1),
    ("markedness", lambda tp, fp, tn, fn: tp / (tp + fp) + tn / (tn + fn) - 1),
    ("prevalence threshold", lambda tp, fp, tn, fn: (np.sqrt(tp / (tp + fn) * (1 - tn / (tn + fp)))
                                                      + tn / (tn + fp) - 1) / (tp / (tp + fn) + tn / (tn + fp) - 1)),
])
def test_confusion_matrix_metric_accumulated_counts(name, formula):
    rng = np.random.default_rng(9)
    pred = rng.integers(0, 2, (6, 3, 4, 4))
    true = rng.integers(0, 2, (6, 3, 4, 4))
    metric = M.ConfusionMatrixMetric(metric_name=name)
    metric.update(pred[:3], true[:3])
    metric.update(ms.Tensor(pred[3:]), ms.Tensor(true[3:]))
    result = metric.eval()
    assert result.shape == (1,)
    assert result[0] == pytest.approx(formula(*_counts(pred, true)))
    # skip_channel=False leaves channel 0 out (MindSpore's code)
    metric = M.ConfusionMatrixMetric(skip_channel=False, metric_name=name)
    metric.update(pred, true)
    assert metric.eval()[0] == pytest.approx(formula(*_counts(pred[:, 1:], true[:, 1:])))


def test_confusion_matrix_metric_per_sample_mean():
    rng = np.random.default_rng(10)
    pred = rng.integers(0, 2, (4, 2, 5, 5))
    true = rng.integers(0, 2, (4, 2, 5, 5))
    true[0, 1] = 0  # no positives: that sample's class-1 sensitivity is undefined and left out
    metric = M.ConfusionMatrixMetric(metric_name="tpr", calculation_method=True, decrease="mean")
    metric.update(pred, true)
    batch_means = []
    for b in range(4):
        rates = []
        for c in range(2):
            tp, fp, tn, fn = _counts(pred[b, c], true[b, c])
            if tp + fn > 0:
                rates.append(tp / (tp + fn))
        batch_means.append(np.mean(rates))
    assert metric.eval() == pytest.approx(np.mean(batch_means))
    with pytest.raises(NotImplementedError):
        M.ConfusionMatrixMetric(metric_name="auc")
    with pytest.raises(ValueError, match="binarized"):
        M.ConfusionMatrixMetric()(pred, true * 0.5)


def test_confusion_matrix_metric_documented_example():
    metric = M.ConfusionMatrixMetric(skip_channel=True, metric_name="tpr", calculation_method=False, decrease="mean")
    metric.update(ms.Tensor(np.array([[[0], [1]], [[1], [0]]])), ms.Tensor(np.array([[[0], [1]], [[0], [1]]])))
    np.testing.assert_allclose(metric.eval(), [0.5])


# ---- similarities -----------------------------------------------------------------------------------------

def test_cosine_similarity_against_numpy():
    data = np.array([[1, 3, 4, 7], [2, 4, 2, 5], [3, 1, 5, 8]], np.float64)
    unit = data / np.linalg.norm(data, axis=1, keepdims=True)
    expected = unit @ unit.T
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(M.CosineSimilarity()(data), expected)
    np.testing.assert_allclose(M.CosineSimilarity()(data)[0, 1], 0.94025615, rtol=1e-7)
    np.testing.assert_allclose(M.CosineSimilarity(reduction="sum")(data), expected.sum(-1))
    dot = M.CosineSimilarity(similarity="dot", reduction="mean", zero_diagonal=False)
    np.testing.assert_allclose(dot(data), (data @ data.T).mean(-1))
    with pytest.raises(ValueError, match="similarity"):
        M.CosineSimilarity(similarity="l2")


def test_dice_against_numpy():
    rng = np.random.default_rng(11)
    pred = rng.random((3, 2, 4))
    true = rng.integers(0, 2, (3, 2, 4))
    dice = M.Dice(smooth=1e-5)
    dice.update(pred, true)
    expected = 2 * np.sum(pred * true) / (np.sum(pred * pred) + np.sum(true * true) + 1e-5)
    assert dice.eval() == pytest.approx(expected / 3)
    x = np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]])
    y = np.array([[0, 1], [1, 0], [0, 1]])
    assert M.Dice()(x, y) == pytest.approx(0.20467791371802546)
    with pytest.raises(TypeError):
        M.Dice(smooth=1)
    with pytest.raises(ValueError, match="same shape"):
        M.Dice()(x, y[:, :1])


def test_bleu_score_hand_computed():
    candidate = [["i", "have", "a", "pen", "on", "my", "desk"]]
    references = [[["i", "have", "a", "pen", "in", "my", "desk"], ["there", "is", "a", "pen", "on", "the", "desk"]]]
    assert M.BleuScore()(candidate, references) == pytest.approx(0.5946035575013605)
    # clipped n-gram precisions by hand: 1-grams 7/7, 2-grams 5/6 (i have, have a, a pen, pen on, my desk)
    assert M.BleuScore(n_gram=2)(candidate, references) == pytest.approx(np.sqrt(5 / 6))
    # a short candidate: brevity penalty exp(1 - r/c), r = 4 (the closest reference length), c = 2
    short = M.BleuScore(n_gram=1)([["a", "b"]], [[["a", "b", "c", "d"]]])
    assert short == pytest.approx(np.exp(1 - 4 / 2))
    assert M.BleuScore()([["x", "y"]], [[["a", "b"]]]) == 0.0
    smoothed = M.BleuScore(n_gram=2, smooth=True)([["a", "b", "c"]], [[["a", "b", "d"]]])
    assert smoothed == pytest.approx(np.sqrt((2 + 1) / (3 + 1) * (1 + 1) / (2 + 1)))
    # as in MindSpore, an n-gram order with no match gives 0 even when smoothing
    assert M.BleuScore(n_gram=2, smooth=True)([["a", "b"]], [[["a", "c"]]]) == 0.0
    with pytest.raises(ValueError, match="n_gram"):
        M.BleuScore(n_gram=5)
    with pytest.raises(ValueError, match="equal in length"):
        M.BleuScore().update([["a"]], [])


# ---- segmentation surfaces --------------------------------------------------------------------------------

def _scipy_surface_distances(pred, true, metric):
    ndimage = pytest.importorskip("scipy.ndimage")
    pred_edges = ndimage.binary_erosion(pred) ^ pred
    true_edges = ndimage.binary_erosion(true) ^ true
    if metric == "euclidean":
        dist = ndimage.distance_transform_edt(~true_edges)
        back = ndimage.distance_transform_edt(~pred_edges)
    else:
        dist = ndimage.distance_transform_cdt(~true_edges, metric=metric)
        back = ndimage.distance_transform_cdt(~pred_edges, metric=metric)
    return dist[pred_edges], back[true_edges]


def _random_masks(seed, shape=(12, 10)):
    rng = np.random.default_rng(seed)
    pred = np.zeros(shape, np.int64)
    true = np.zeros(shape, np.int64)
    pred[2:9, 1:7] = 1
    true[3:11, 2:9] = 1
    pred[rng.random(shape) < 0.1] = 1
    true[rng.random(shape) < 0.1] = 0
    return pred, true


@pytest.mark.parametrize("distance", ["euclidean", "chessboard", "taxicab"])
def test_surface_metrics_against_scipy(distance):
    pred, true = _random_masks(12)
    forward, backward = _scipy_surface_distances(pred == 1, true == 1, distance)
    msd = M.MeanSurfaceDistance(distance_metric=distance)
    msd.update(pred, true, 1)
    assert msd.eval() == pytest.approx(forward.mean())
    msd = M.MeanSurfaceDistance(symmetric=True, distance_metric=distance)
    msd.update(pred, true, 1)
    assert msd.eval() == pytest.approx((forward.mean() + backward.mean()) / 2)
    rmsd = M.RootMeanSquareDistance(symmetric=True, distance_metric=distance)
    rmsd.update(pred, true, 1)
    assert rmsd.eval() == pytest.approx(np.sqrt(((forward ** 2).mean() + (backward ** 2).mean()) / 2))
    rmsd = M.RootMeanSquareDistance(distance_metric=distance)
    rmsd.update(pred, true, 1)
    assert rmsd.eval() == pytest.approx((forward ** 2).mean())  # MindSpore: no root without symmetric
    hd = M.HausdorffDistance(distance_metric=distance)
    hd.update(pred, true, 1)
    assert hd.eval() == pytest.approx(max(forward.max(), backward.max()))
    hd = M.HausdorffDistance(distance_metric=distance, percentile=90.0, directed=True, crop=False)
    hd.update(pred, true, 1)
    assert hd.eval() == pytest.approx(np.percentile(forward, 90.0))


def test_surface_metrics_3d_and_hand_computed():
    pred, true = np.zeros((5, 6, 7), bool), np.zeros((5, 6, 7), bool)
    pred[1:4, 1:4, 1:4] = True
    true[1:4, 1:4, 3:6] = True
    forward, backward = _scipy_surface_distances(pred, true, "euclidean")
    msd = M.MeanSurfaceDistance(symmetric=True)
    msd.update(pred, true, 1)
    assert msd.eval() == pytest.approx((forward.mean() + backward.mean()) / 2)
    # two single points 3 apart along a row, 4 along a column: Hausdorff 5 (euclidean), 7 (taxicab)
    a = np.zeros((8, 8), np.int64)
    b = np.zeros((8, 8), np.int64)
    a[1, 1] = 2
    b[5, 4] = 2
    hd = M.HausdorffDistance()
    hd.update(a, b, 2)
    assert hd.eval() == pytest.approx(5.0)
    hd = M.HausdorffDistance(distance_metric="taxicab")
    hd.update(a, b, 2)
    assert hd.eval() == pytest.approx(7.0)


def test_surface_metrics_documented_values_and_errors():
    x = ms.Tensor(np.array([[3, 0, 1], [1, 3, 0], [1, 0, 2]]))
    y = ms.Tensor(np.array([[0, 2, 1], [1, 2, 1], [0, 0, 1]]))
    hd = M.HausdorffDistance()
    hd.update(x, y, 0)
    assert hd.eval() == pytest.approx(1.4142135623730951)
    msd = M.MeanSurfaceDistance()
    msd.update(x, y, 0)
    assert msd.eval() == pytest.approx(0.8047378541243649)
    rmsd = M.RootMeanSquareDistance()
    rmsd.update(x, y, 0)
    assert rmsd.eval() == pytest.approx(1.0000000000000002)
    empty = M.MeanSurfaceDistance()
    empty.update(np.array([[0, 0], [0, 0]]), np.array([[1, 0], [0, 0]]), 1)
    assert empty.eval() == np.inf
    with pytest.raises(ValueError, match="label index"):
        msd.update(x, y, 7)
    with pytest.raises(ValueError, match="same shape"):
        msd.update(np.zeros((2, 2)), np.zeros((2, 3)), 0)
    with pytest.raises(TypeError, match="label index"):
        rmsd.update(x, y, "0")
    with pytest.raises(ValueError, match="distance_metric"):
        M.HausdorffDistance(distance_metric="cosine")


# ---- occlusion sensitivity --------------------------------------------------------------------------------

class _DenseNet(nn.Cell):
    def __init__(self):
        super().__init__()
        w = np.array([[0.1, 0.8, 0.1, 0.1], [1, 1, 1, 1]], np.float32)
        b = np.array([0.3, 0.6], np.float32)
        self.dense = nn.Dense(4, 2, weight_init=ms.Tensor(w), bias_init=ms.Tensor(b))

    def construct(self, x):
        return self.dense(x)


def test_occlusion_sensitivity_documented_example():
    metric = M.OcclusionSensitivity()
    metric.update(_DenseNet(), np.array([[0.1, 0.2, 0.3, 0.4]], np.float32), np.array(1, np.int32))
    # the baseline 1.6 minus the score with [i-2, i+2) zeroed, by hand: 1.3, 1.0, 0.6, 0.7
    np.testing.assert_allclose(metric.eval(), [0.3, 0.6, 1.0, 0.9], rtol=1e-6)


def test_occlusion_sensitivity_2d_box_and_batches_against_numpy():
    rng = np.random.default_rng(13)
    weights = rng.normal(size=(3, 20)).astype(np.float32)

    class Linear(nn.Cell):
        def __init__(self):
            super().__init__()
            self.dense = nn.Dense(20, 3, weight_init=ms.Tensor(weights), bias_init="zeros")

        def construct(self, x):
            return self.dense(x.reshape(x.shape[0], -1))

    image = rng.random((1, 4, 5)).astype(np.float32)
    baseline = float(image.reshape(-1) @ weights[2])
    expected = np.empty((2, 3))
    for r in range(2):
        for c in range(3):
            occluded = image.copy()
            occluded[0, max(0, r + 1 - 1):r + 1 + 1, max(0, c + 2 - 1):c + 2 + 1] = -1.0
            expected[r, c] = baseline - float(occluded.reshape(-1) @ weights[2])
    metric = M.OcclusionSensitivity(pad_val=-1.0, margin=1, n_batch=4, b_box=[1, 2, 2, 4])
    metric.update(Linear(), ms.Tensor(image), [2])
    np.testing.assert_allclose(metric.eval(), expected, rtol=1e-5, atol=1e-5)


def test_occlusion_sensitivity_errors():
    metric = M.OcclusionSensitivity()
    with pytest.raises(TypeError, match="Cell"):
        metric.update(lambda x: x, np.zeros((1, 4), np.float32), np.array(0))
    with pytest.raises(RuntimeError, match="index 0"):
        metric.update(_DenseNet(), np.zeros((2, 4), np.float32), np.array(0))
    with pytest.raises(ValueError, match="bounding box"):
        M.OcclusionSensitivity(b_box=[0, 1, 0, 1])(_DenseNet(), np.zeros((1, 4), np.float32), np.array(0))
    with pytest.raises(TypeError):
        M.OcclusionSensitivity(pad_val=0)


@pytest.mark.parametrize("shape", [(7, 9), (12, 10, 6), (1, 5), (6,)])
def test_distance_transform_matches_scipy(shape):
    ndimage = pytest.importorskip("scipy.ndimage")
    from sporen.train.metrics.surface_distance import _distance_transform

    features = np.random.default_rng(len(shape) * 10 + shape[0]).random(shape) < 0.08
    features.flat[0] = True
    np.testing.assert_allclose(_distance_transform(features, "euclidean"),
                               ndimage.distance_transform_edt(~features))
    for metric in ("chessboard", "taxicab"):
        np.testing.assert_allclose(_distance_transform(features, metric),
                                   ndimage.distance_transform_cdt(~features, metric=metric))
