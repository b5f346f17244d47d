"""Real data shipped inside the package (a Fashion-MNIST subset for the demo and the tests)."""
import os

import numpy as np

__all__ = ["fashion_mnist_subset", "FASHION_MNIST_CLASSES"]

_HERE = os.path.dirname(os.path.abspath(__file__))

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")


def fashion_mnist_subset():
    """The shipped Fashion-MNIST subset (MIT licence, see LICENSE.fashion-mnist.txt):
    a dict with uint8 ``train_images`` (12000, 28, 28), ``train_labels`` (12000,),
    ``test_images`` (2000, 28, 28), ``test_labels`` (2000,)."""
    with np.load(os.path.join(_HERE, "fashion_mnist_subset.npz")) as f:
        return {k: f[k] for k in f.files}
