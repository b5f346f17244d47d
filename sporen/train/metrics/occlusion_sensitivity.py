"""OcclusionSensitivity: how much a model's score for a label drops when each part of an image is hidden."""
import numpy as np

from ...tensor import Tensor
from .metric import Metric, rearrange_inputs, _check_inputs_count, _check_type

__all__ = ["OcclusionSensitivity"]


def _bounding_box(b_box, image_shape):
    """The box's inclusive (min, max) corners as arrays, or (None, None) without a box."""
    if b_box is None:
        return None, None
    if len(b_box) != 2 * len(image_shape):
        raise ValueError(f"For 'OcclusionSensitivity', the bounding box must contain upper and lower for all "
                         f"dimensions (except batch number), so 'b_box' must have {2 * len(image_shape)} values, "
                         f"but got {len(b_box)}.")
    box_min = np.array(b_box[::2])
    box_max = np.array(b_box[1::2])
    box_min[box_min < 0] = 0
    box_max[box_max < 0] = image_shape[box_max < 0] - 1
    if np.any(box_max >= image_shape):
        raise ValueError("For 'OcclusionSensitivity', maximum bounding box must be smaller than image size for all "
                         "values.")
    if np.any(box_min > box_max):
        raise ValueError("For 'OcclusionSensitivity', minimum bounding box must be smaller than maximum bounding box "
                         "for all values.")
    return box_min, box_max


class OcclusionSensitivity(Metric):
    """Occlusion sensitivity of a model on one image.

    ``update(model, image, label)``: ``model`` a Cell returning scores (batch, classes), ``image`` a batch of one
    (1, ...), ``label`` the class to watch. For every position (of the ``b_box`` region, default the whole image)
    the block from ``position - margin`` up to (not including) ``position + margin`` is set to ``pad_val``, the
    occluded images are run through the model ``n_batch`` at a time, and ``eval`` returns the baseline score minus
    the occluded score at each position.
    """

    def __init__(self, pad_val=0.0, margin=2, n_batch=128, b_box=None):
        super().__init__()
        self.pad_val = _check_type("OcclusionSensitivity", "pad_val", pad_val, (float,), "float")
        self.margin = _check_type("OcclusionSensitivity", "margin", margin, (int, list), "int or list")
        self.n_batch = _check_type("OcclusionSensitivity", "n_batch", n_batch, (int,), "int")
        if b_box is not None:
            _check_type("OcclusionSensitivity", "b_box", b_box, (list,), "list")
        self.b_box = b_box
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._baseline = 0
        self._sensitivity_im = 0
        self._is_update = False

    def _scores(self, model, images, label):
        out = model(Tensor(np.concatenate(images, axis=0)))
        return out.asnumpy()[np.arange(len(images)), label]

    @rearrange_inputs
    def update(self, *inputs):
        """Run the occlusions: ``update(model, image, label)``."""
        from ...nn import Cell  # here, so that importing the metrics does not import the layers

        _check_inputs_count("OcclusionSensitivity", inputs, 3, "classification model, predicted value, label")
        model = inputs[0]
        image = self._convert_data(inputs[1])
        label = self._convert_data(inputs[2])
        if not isinstance(model, Cell):
            raise TypeError(f"For 'OcclusionSensitivity.update', the model (input[0]) must be a Cell, but got "
                            f"{type(model).__name__}.")
        if image.shape[0] > 1:
            raise RuntimeError(f"For 'OcclusionSensitivity.update', the shape at index 0 of the predicted value "
                               f"(input[1]) must be 1, but got {image.shape[0]}.")
        if np.prod(label.shape) != image.shape[0]:
            raise RuntimeError(f"For 'OcclusionSensitivity.update', the number of the label (input[2]) must be same "
                               f"as the batches, but got the label number {np.prod(label.shape)}, and batches "
                               f"{image.shape[0]}.")
        label = int(label.reshape(-1)[0])
        image_shape = np.array(image.shape[1:])
        box_min, box_max = _bounding_box(self.b_box, image_shape)
        margins = self.margin if isinstance(self.margin, list) else [self.margin] * len(image_shape)
        if len(margins) != len(image_shape):
            raise ValueError(f"For 'OcclusionSensitivity', 'margin' as a list must have one value per image "
                             f"dimension ({len(image_shape)}), but got {len(margins)}.")

        self._baseline = model(Tensor(image)).asnumpy()[0, label].item()
        output_shape = image_shape if box_min is None else box_max - box_min + 1
        count = int(np.prod(output_shape))
        scores = []
        batch = []
        for i in range(count):
            position = np.array(np.unravel_index(i, tuple(output_shape)))
            if box_min is not None:
                position = position + box_min
            block = tuple(slice(max(0, int(p) - m), min(int(s), int(p) + m))
                          for p, m, s in zip(position, margins, image_shape))
            occluded = image.copy()
            occluded[(...,) + block] = self.pad_val
            batch.append(occluded)
            if len(batch) == self.n_batch or i == count - 1:
                scores.append(self._scores(model, batch, label))
                batch = []
        self._sensitivity_im = np.concatenate(scores).reshape(tuple(output_shape))
        self._is_update = True

    def eval(self):
        """The sensitivity map: baseline score minus occluded score, of the image's (or the box's) shape."""
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        return self._baseline - np.squeeze(self._sensitivity_im)
