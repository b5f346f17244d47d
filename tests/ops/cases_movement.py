"""Cases for the movement family: reshape, broadcast, transpose, concat/stack/split, slicing,
padding, flip/roll/tile."""
import numpy as np

from tests.ops.harness import Case


def _split_ref(x, axis, sizes):
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


def _pad_ref(x, paddings, mode, value):
    if mode == "constant":
        # crop the negative pads by hand, then pad the positive ones
        idx = tuple(slice(max(-lo, 0), x.shape[k] - max(-hi, 0)) for k, (lo, hi) in enumerate(paddings))
        pos = [(max(lo, 0), max(hi, 0)) for lo, hi in paddings]
        return np.pad(x[idx], pos, constant_values=value)
    return np.pad(x, paddings, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])


def _tile_ref(x, multiples):
    return np.tile(x, multiples)


def _ss(begin, end, strides, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0):
    return {"begin": begin, "end": end, "strides": strides, "begin_mask": begin_mask, "end_mask": end_mask,
            "ellipsis_mask": ellipsis_mask, "new_axis_mask": new_axis_mask, "shrink_axis_mask": shrink_axis_mask}


CASES = [
    Case("reshape", [(3, 4)], lambda x, shape: x.reshape(shape), attrs={"shape": (2, 6)}),
    Case("reshape", [(0, 4)], lambda x, shape: x.reshape(shape), attrs={"shape": (4, 0)}),
    Case("reshape", [()], lambda x, shape: x.reshape(shape), attrs={"shape": (1, 1)}),
    Case("broadcast_to", [(3, 1)], lambda x, shape: np.broadcast_to(x, shape), attrs={"shape": (2, 3, 4)}),
    Case("broadcast_to", [()], lambda x, shape: np.broadcast_to(x, shape), attrs={"shape": (2,)}),

    Case("transpose", [(2, 3, 4)], lambda x, perm: x.transpose(2, 0, 1), attrs={"perm": (2, 0, 1)}),
    Case("transpose", [(3, 4)], lambda x, perm: x.T, attrs={"perm": (1, 0)}),
    Case("transpose", [(0, 2)], lambda x, perm: x.T, attrs={"perm": (1, 0)}),
    Case("transpose", [()], lambda x, perm: x, attrs={"perm": ()}),

    Case("concat", [(2, 3), (4, 3)], lambda a, b, axis: np.concatenate([a, b], 0), attrs={"axis": 0}),
    Case("concat", [(2, 3), (2, 1), (2, 2)], lambda a, b, c, axis: np.concatenate([a, b, c], 1),
         attrs={"axis": 1}),
    Case("concat", [(0, 3), (2, 3)], lambda a, b, axis: np.concatenate([a, b], 0), attrs={"axis": 0}),
    Case("stack", [(2, 3), (2, 3)], lambda a, b, axis: np.stack([a, b], 1), attrs={"axis": 1}),
    Case("stack", [(), (), ()], lambda a, b, c, axis: np.array([a, b, c]), attrs={"axis": 0}),
    Case("stack", [(3,), (3,)], lambda a, b, axis: np.stack([a, b], -1), attrs={"axis": 1}),

    Case("split", [(6, 2)], _split_ref, attrs={"axis": 0, "sizes": (1, 2, 3)}),
    Case("split", [(2, 5)], _split_ref, attrs={"axis": 1, "sizes": (5,)}),
    Case("split", [(2, 4)], _split_ref, attrs={"axis": 1, "sizes": (0, 4)}),

    Case("slice", [(4, 5)], lambda x, begin, size: x[1:3, 2:5], attrs={"begin": (1, 2), "size": (2, 3)}),
    Case("slice", [(3,)], lambda x, begin, size: x[0:0], attrs={"begin": (0,), "size": (0,)}),
    Case("slice", [(2, 3, 4)], lambda x, begin, size: x[:, 1:2, :], attrs={"begin": (0, 1, 0), "size": (2, 1, 4)}),

    Case("strided_slice", [(5, 6)], lambda x, **a: x[1:5:2, ::-2], attrs=_ss((1, 0), (5, 0), (2, -2), end_mask=2,
                                                                          begin_mask=2)),
    Case("strided_slice", [(3, 4, 5)], lambda x, **a: x[1, ..., None, 2:], attrs=_ss(
        (1, 0, 0, 2), (2, 0, 0, 5), (1, 1, 1, 1), ellipsis_mask=2, new_axis_mask=4, shrink_axis_mask=1)),
    Case("strided_slice", [(4,)], lambda x, **a: x[-1:-5:-1], attrs=_ss((-1,), (-5,), (-1,))),
    Case("strided_slice", [(4,)], lambda x, **a: x[10:20], attrs=_ss((10,), (20,), (1,))),

    Case("pad", [(2, 3)], _pad_ref, attrs={"paddings": ((1, 0), (2, 1)), "mode": "constant", "value": 0}),
    Case("pad", [(2, 3)], _pad_ref, attrs={"paddings": ((0, 0), (1, 1)), "mode": "constant", "value": 1.5}),
    Case("pad", [(3, 4)], _pad_ref, attrs={"paddings": ((-1, 1), (0, -2)), "mode": "constant", "value": 0}),
    Case("pad", [(2, 4, 5)], _pad_ref, attrs={"paddings": ((0, 0), (2, 1), (3, 3)), "mode": "reflect", "value": 0}),
    Case("pad", [(2, 3)], _pad_ref, attrs={"paddings": ((1, 2), (2, 4)), "mode": "replicate", "value": 0}),
    Case("pad", [(2, 3)], _pad_ref, attrs={"paddings": ((1, 1), (2, 3)), "mode": "circular", "value": 0}),

    Case("flip", [(3, 4)], lambda x, dims: x[::-1, ::-1], attrs={"dims": (0, 1)}),
    Case("flip", [(2, 3, 4)], lambda x, dims: x[:, :, ::-1], attrs={"dims": (2,)}),
    Case("flip", [(0,)], lambda x, dims: x, attrs={"dims": (0,)}),
    Case("roll", [(5,)], lambda x, shifts, dims: np.concatenate([x[-2:], x[:-2]]),
         attrs={"shifts": (2,), "dims": (0,)}),
    Case("roll", [(3, 4)], lambda x, shifts, dims: np.roll(np.roll(x, -1, 0), 5, 1),
         attrs={"shifts": (-1, 5), "dims": (0, 1)}),
    Case("tile", [(2, 3)], _tile_ref, attrs={"multiples": (2, 3)}),
    Case("tile", [(3,)], lambda x, multiples: np.concatenate([x, x]), attrs={"multiples": (2,)}),
    Case("tile", [()], lambda x, multiples: x, attrs={"multiples": ()}),
    Case("tile", [(2, 2)], _tile_ref, attrs={"multiples": (0, 1)}),
]
