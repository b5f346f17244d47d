"""The random generator of the row being processed (contract 2: what random transforms draw from).

A pipeline keys each row's generator by (the pipeline's seed, the operation's id, the pass over the
data, the row's index in that pass). So a random augmentation gives the same result for a row
whatever the number of workers (threads or processes) and whichever worker ran it, and an iterator
resumed mid-epoch reproduces exactly the rows the interrupted one would have given. A row's
generator is its operation's PCG64 stream (seeded by the pipeline's seed and the operation's id)
advanced to the row's own stretch of 2**64 draws; it is set up lazily, on the first rng() call, so
operations that draw nothing pay nothing, and from a per-thread copy of the stream's start (about
3 µs, where seeding a PCG64 afresh for each row cost about 19 µs under the GIL).
Outside a pipeline (a transform called eagerly), rng() is a per-thread generator seeded from
config.get_seed(), re-seeded when config.set_seed is called.
"""
import threading

import numpy

from .. import config

__all__ = ["rng"]

_local = threading.local()


def rng():
    """The numpy.random.Generator the current row's random operation must draw from."""
    key = getattr(_local, "row_key", None)
    if key is not None:
        generator = _local.row_generator
        if generator is None:
            generator = _row_generator(key)
            _local.row_generator = generator
        return generator
    return _eager_generator()


_ROW_STRIDE = 64  # log2 of the draws between two rows' starting points
_PASS_SHIFT = 40  # rows per pass: below 2**40
_MASK = (1 << 128) - 1
_MAX_STREAMS = 16


def _row_generator(key):
    """The generator of the row `key`: this thread's copy of the operation's stream, reset to its
    start and advanced to the row's stretch (pass, row index)."""
    seed, op_id, pass_id, row_index = key
    streams = getattr(_local, "streams", None)
    if streams is None:
        streams = _local.streams = {}
    stream = streams.get((seed, op_id))
    if stream is None:
        if len(streams) >= _MAX_STREAMS:
            streams.clear()
        bit_generator = numpy.random.PCG64([seed, op_id])
        stream = (bit_generator, bit_generator.state, numpy.random.Generator(bit_generator))
        streams[(seed, op_id)] = stream
    bit_generator, start, generator = stream
    bit_generator.state = start
    bit_generator.advance((((pass_id << _PASS_SHIFT) + row_index) << _ROW_STRIDE) & _MASK)
    return generator


def _eager_generator():
    """The calling thread's generator for transforms run outside a pipeline."""
    generation = config._seed_generation[0]
    if getattr(_local, "eager_generation", None) != generation:
        if config._seed_is_set():
            seed = [config.get_seed(), threading.get_ident() % (2 ** 32)]
            if threading.current_thread() is threading.main_thread():
                seed = [config.get_seed()]
            _local.eager_generator = numpy.random.Generator(numpy.random.PCG64(seed))
        else:
            _local.eager_generator = numpy.random.default_rng()
        _local.eager_generation = generation
    return _local.eager_generator


def enter_row(pipeline_seed, op_id, pass_id, row_index):
    """Make rng() give the generator of this row until leave_row (called by the runtime)."""
    _local.row_key = (pipeline_seed, op_id, pass_id, row_index)
    _local.row_generator = None


def leave_row():
    """Back to the eager generator (called by the runtime after a row)."""
    _local.row_key = None
    _local.row_generator = None


def new_pipeline_seed():
    """The base seed of a new iterator: config's seed if set, fresh entropy otherwise (as MindSpore,
    whose shuffles differ between runs unless a seed was set)."""
    if config._seed_is_set():
        return config.get_seed()
    return int(numpy.random.SeedSequence().entropy % (2 ** 32))
