"""Learning rates: the dynamic_lr lists against MindSpore's documented outputs, the
LearningRateSchedule cells against their documented examples and the formulas over many steps."""
import math

import numpy as np
import pytest

import sporen as ms
from sporen import nn, Tensor


# --- dynamic_lr: MindSpore's documented example outputs ----------------------------------------
def test_piecewise_constant_lr_doc_example():
    assert nn.piecewise_constant_lr([2, 5, 10], [0.1, 0.05, 0.01]) == \
        [0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01]


def test_exponential_decay_lr_doc_example():
    assert nn.exponential_decay_lr(0.1, 0.9, 6, 2, 1) == \
        [0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.08100000000000002, 0.08100000000000002]


def test_natural_exp_decay_lr_doc_example():
    assert nn.natural_exp_decay_lr(0.1, 0.9, 6, 2, 2, True) == \
        [0.1, 0.1, 0.1, 0.1, 0.016529888822158657, 0.016529888822158657]


def test_inverse_decay_lr_doc_example():
    assert nn.inverse_decay_lr(0.1, 0.5, 6, 1, 1) == \
        [0.1, 0.06666666666666667, 0.05, 0.04, 0.03333333333333333, 0.028571428571428574]


def test_cosine_decay_lr_doc_example():
    assert nn.cosine_decay_lr(0.01, 0.1, 6, 2, 2) == [0.1, 0.1, 0.05500000000000001, 0.05500000000000001, 0.01, 0.01]


def test_polynomial_decay_lr_doc_example():
    assert nn.polynomial_decay_lr(0.1, 0.01, 6, 2, 2, 0.5) == \
        [0.1, 0.1, 0.07363961030678928, 0.07363961030678928, 0.01, 0.01]


def test_warmup_lr_doc_example():
    assert nn.warmup_lr(0.1, 6, 2, 2) == [0.0, 0.0, 0.05, 0.05, 0.1, 0.1]


def test_dynamic_lr_variants_follow_the_formulas():
    lr = nn.exponential_decay_lr(0.2, 0.5, 9, 1, 2, is_stair=True)
    assert lr == [0.2 * 0.5 ** math.floor(i / 2) for i in range(9)]
    lr = nn.inverse_decay_lr(0.2, 0.5, 7, 1, 3, is_stair=False)
    assert lr == [0.2 / (1 + 0.5 * i / 3) for i in range(7)]
    lr = nn.natural_exp_decay_lr(0.2, 0.5, 5, 1, 2)
    assert lr == [0.2 * math.e ** (-0.5 * i) for i in range(5)]
    lr = nn.polynomial_decay_lr(0.1, 0.01, 10, 1, 3, 2.0, update_decay_epoch=True)
    want = []
    for i in range(10):
        decay = 3 * max(math.ceil(i / 3), 1)
        want.append((0.1 - 0.01) * (1 - i / decay) ** 2.0 + 0.01)
    assert lr == want
    assert len(nn.cosine_decay_lr(0.0, 1.0, 13, 3, 2)) == 13


def test_dynamic_lr_errors():
    with pytest.raises(ValueError, match="size"):
        nn.piecewise_constant_lr([1, 2], [0.1])
    with pytest.raises(ValueError, match="milestone"):
        nn.piecewise_constant_lr([3, 2], [0.1, 0.2])
    with pytest.raises(TypeError):
        nn.piecewise_constant_lr((1,), [1])
    with pytest.raises(TypeError, match="total_step"):
        nn.exponential_decay_lr(0.1, 0.9, 6.0, 2, 1)
    with pytest.raises(ValueError, match="decay_rate"):
        nn.exponential_decay_lr(0.1, -0.9, 6, 2, 1)
    with pytest.raises(TypeError, match="learning_rate"):
        nn.inverse_decay_lr(1, 0.9, 6, 2, 1)
    with pytest.raises(ValueError, match="max_lr"):
        nn.cosine_decay_lr(0.2, 0.1, 6, 2, 2)
    with pytest.raises(TypeError, match="min_lr"):
        nn.cosine_decay_lr(0, 0.1, 6, 2, 2)
    with pytest.raises(TypeError, match="is_stair"):
        nn.natural_exp_decay_lr(0.1, 0.9, 6, 2, 2, 1)
    with pytest.raises(TypeError, match="learning_rate"):
        nn.warmup_lr(1, 6, 2, 2)
    with pytest.raises(ValueError, match="warmup_epoch"):
        nn.warmup_lr(0.1, 6, 2, 0)


# --- LearningRateSchedule cells: documented examples, computed in float32 --------------------------
STEP2 = Tensor(2, ms.int32)


@pytest.mark.parametrize("schedule,printed", [
    (lambda: nn.ExponentialDecayLR(0.1, 0.9, 4), 0.09486833),
    (lambda: nn.NaturalExpDecayLR(0.1, 0.9, 4, True), 0.1),
    (lambda: nn.InverseDecayLR(0.1, 0.9, 4, True), 0.1),
    (lambda: nn.CosineDecayLR(0.01, 0.1, 4), 0.055),
    (lambda: nn.PolynomialDecayLR(0.1, 0.01, 4, 0.5), 0.07363961),
    (lambda: nn.WarmUpLR(0.1, 2), 0.1),
])
def test_schedule_doc_examples(schedule, printed):
    out = schedule()(STEP2)
    assert out.dtype == ms.float32
    assert out.shape == ()
    np.testing.assert_allclose(out.asnumpy(), np.float32(printed), rtol=2e-7)


def ref_schedule(kind, step):
    if kind == "exp":
        return 0.1 * 0.9 ** (step / 3)
    if kind == "exp_stair":
        return 0.1 * 0.9 ** math.floor(step / 3)
    if kind == "natural":
        return 0.1 * math.exp(-0.9 * step)
    if kind == "natural_stair":
        return 0.1 * math.exp(-0.9 * math.floor(step / 3) * 3)
    if kind == "inverse":
        return 0.1 / (1 + 0.9 * step / 3)
    if kind == "cosine":
        return 0.01 + 0.5 * (0.1 - 0.01) * (1 + math.cos(math.pi * min(step, 5) / 5))
    if kind == "poly":
        return (0.1 - 0.01) * (1 - min(step, 5) / 5) ** 2.0 + 0.01
    if kind == "poly_update":
        decay = 5 * max(math.ceil(step / 5), 1)
        return (0.1 - 0.01) * (1 - step / decay) ** 2.0 + 0.01
    if kind == "warmup":
        return 0.1 * min(step, 4) / 4
    raise AssertionError(kind)


SCHEDULES = {
    "exp": lambda: nn.ExponentialDecayLR(0.1, 0.9, 3),
    "exp_stair": lambda: nn.ExponentialDecayLR(0.1, 0.9, 3, is_stair=True),
    "natural": lambda: nn.NaturalExpDecayLR(0.1, 0.9, 3),
    "natural_stair": lambda: nn.NaturalExpDecayLR(0.1, 0.9, 3, is_stair=True),
    "inverse": lambda: nn.InverseDecayLR(0.1, 0.9, 3),
    "cosine": lambda: nn.CosineDecayLR(0.01, 0.1, 5),
    "poly": lambda: nn.PolynomialDecayLR(0.1, 0.01, 5, 2.0),
    "poly_update": lambda: nn.PolynomialDecayLR(0.1, 0.01, 5, 2.0, update_decay_steps=True),
    "warmup": lambda: nn.WarmUpLR(0.1, 4),
}


@pytest.mark.parametrize("kind", sorted(SCHEDULES))
def test_schedules_follow_their_formula(kind):
    schedule = SCHEDULES[kind]()
    for step in range(12):
        got = schedule(Tensor(np.array([step], np.int32)))
        assert got.shape == (1,)
        np.testing.assert_allclose(got.asnumpy()[0], ref_schedule(kind, step), rtol=2e-6, err_msg=f"step {step}")


def test_schedule_errors():
    with pytest.raises(TypeError, match="learning_rate"):
        nn.ExponentialDecayLR(1, 0.9, 4)
    with pytest.raises(ValueError, match="decay_steps"):
        nn.ExponentialDecayLR(0.1, 0.9, 0)
    with pytest.raises(TypeError, match="is_stair"):
        nn.InverseDecayLR(0.1, 0.9, 4, is_stair="yes")
    with pytest.raises(ValueError, match="max_lr"):
        nn.CosineDecayLR(0.1, 0.1, 4)
    with pytest.raises(TypeError, match="end_learning_rate"):
        nn.PolynomialDecayLR(0.1, 0, 4, 0.5)
    with pytest.raises(ValueError, match="power"):
        nn.PolynomialDecayLR(0.1, 0.01, 4, -0.5)
    with pytest.raises(TypeError, match="learning_rate"):
        nn.WarmUpLR(1, 2)
    with pytest.raises(TypeError, match="global_step"):
        nn.WarmUpLR(0.1, 2)("2")
    assert isinstance(nn.WarmUpLR(0.1, 2), nn.LearningRateSchedule)
