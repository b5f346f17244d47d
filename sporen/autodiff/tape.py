"""The gradient tape: records ops whose inputs depend on the sources, then runs their bprops in
reverse. Tapes nest (one per active grad call), which gives gradients of gradients: the backward
pass of an inner tape runs sporen ops, and an outer tape records them."""
import ml_dtypes
import numpy as np

TAPES = []  # the active tapes, innermost last; empty means no recording at all (the fast path)


# dtypes whose values carry gradients (numpy gives bfloat16 kind 'V', so test membership, not kind)
DIFFERENTIABLE = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64, np.complex64,
                                                 np.complex128, ml_dtypes.bfloat16))


class Tape:
    """Records (op, inputs, outputs, attrs) for every op that reads a tracked tensor."""

    __slots__ = ("entries", "tracked", "keep")

    def __init__(self):
        self.entries = []
        self.tracked = set()
        self.keep = []  # sources kept alive so their ids stay unique

    def watch(self, tensor):
        self.tracked.add(id(tensor))
        self.keep.append(tensor)

    def substitute(self, swap, skip=None):
        """Replace tensors in the recorded entries: ``swap`` maps id(tensor) to its replacement.
        Used when a tensor is written in place: its earlier records must keep meaning the old value.
        ``skip(entry)`` exempts entries."""
        entries = self.entries
        for i, entry in enumerate(entries):
            op, ins, outs, attrs = entry
            if skip is not None and skip(entry):
                continue
            hit = False
            for a in ins:
                if id(a) in swap:
                    hit = True
                    break
            if type(outs) is tuple:
                if any(id(o) in swap for o in outs):
                    hit = True
                    outs = tuple(swap.get(id(o), o) for o in outs)
            elif id(outs) in swap:
                hit = True
                outs = swap[id(outs)]
            if hit:
                entries[i] = (op, tuple(swap.get(id(a), a) for a in ins), outs, attrs)

    def __enter__(self):
        TAPES.append(self)
        return self

    def __exit__(self, *exc):
        TAPES.remove(self)
        return False


def record(op, inputs, outputs, attrs):
    """Called by Op.__call__ when tapes are active."""
    multi = type(outputs) is tuple
    for tape in TAPES:
        tracked = tape.tracked
        for x in inputs:
            if id(x) in tracked:
                break
        else:
            continue
        tape.entries.append((op, inputs, outputs, attrs))
        if multi:
            for o in outputs:
                if o._data.dtype in DIFFERENTIABLE:
                    tracked.add(id(o))
        elif outputs._data.dtype in DIFFERENTIABLE:
            tracked.add(id(outputs))


class paused:
    """Context manager: suspend all recording (for stop_gradient regions and bprops)."""

    __slots__ = ("saved",)

    def __enter__(self):
        self.saved = TAPES[:]
        TAPES.clear()
        return self

    def __exit__(self, *exc):
        TAPES[:] = self.saved
        return False


def _zeros_like(t):
    from ..tensor import Tensor
    return Tensor._wrap(np.zeros(t.shape, dtype=t._data.dtype))


def _accumulate(grads, key, g):
    old = grads.get(key)
    grads[key] = g if old is None else old + g


def backward(tape, outputs, sens):
    """Run the tape backwards from ``outputs`` with cotangents ``sens``; returns a dict from
    id(tensor) to its gradient. The tape must no longer be active."""
    from ..tensor import Tensor
    grads = {}
    for o, s in zip(outputs, sens):
        if s is not None and id(o) in tape.tracked:
            _accumulate(grads, id(o), s)
    for op, inputs, outs, attrs in reversed(tape.entries):
        if type(outs) is tuple:
            douts = [grads.pop(id(o), None) for o in outs]
            if all(d is None for d in douts):
                continue
            douts = tuple(_zeros_like(o) if d is None else d for o, d in zip(outs, douts))
        else:
            douts = grads.pop(id(outs), None)
            if douts is None:
                continue
        tracked = tape.tracked
        if op.needs:
            needs = tuple(id(x) in tracked for x in inputs)
            in_grads = op.bprop(*inputs, outs, douts, needs=needs, **attrs)
        else:
            in_grads = op.bprop(*inputs, outs, douts, **attrs)
        if len(in_grads) != len(inputs):
            raise RuntimeError(f"bprop of '{op.name}' returned {len(in_grads)} gradients for "
                               f"{len(inputs)} inputs")
        for x, g in zip(inputs, in_grads):
            if g is None or id(x) not in tracked:
                continue
            if not isinstance(g, Tensor):
                raise TypeError(f"bprop of '{op.name}' returned a {type(g).__name__}, not a Tensor")
            if g.shape != x.shape:
                raise RuntimeError(f"bprop of '{op.name}' gave a gradient of shape {g.shape} for an "
                                   f"input of shape {x.shape}")
            _accumulate(grads, id(x), g)
    return grads
