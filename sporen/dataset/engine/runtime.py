"""The pipeline runtime: one Run per iterator, stages in threads joined by bounded queues, ordered
parallel workers (threads or forked processes), errors carried to the consumer, clean shutdown.

A node of the dataset tree turns into a Python generator of rows (tuples of numpy arrays) for one
pass over the data. `Run.stage` moves such a generator into a thread of its own that feeds a
bounded queue (the prefetch buffer between stages); `Run.ordered_parallel` spreads a function
over workers and gives the results in the order of the rows, so the output order never depends on
timing: thread workers take rows from one shared queue as each becomes free and their results are
put back in order by sequence number; process workers get row k on worker k % n and are read back
in the same round-robin. Every blocking put/get wakes up regularly to check the
stop flags, so that dropping an iterator or breaking a loop early ends every thread and process.
"""
import itertools
import logging
import mmap
import multiprocessing
import os
import queue
import sys
import threading
import time
import traceback
import weakref

import numpy as np

from . import random as ds_random
from .. import config

logger = logging.getLogger("sporen.dataset")

_POLL = 0.05
_END = "__sporen_end__"
_SHUTDOWN = "__sporen_shutdown__"
_live_runs = weakref.WeakSet()


class WorkerError:
    """An exception raised by a user's function in a worker, with its traceback text and row."""

    def __init__(self, error, trace, where):
        self.error = error
        self.trace = trace
        self.where = where

    def reraise(self):
        """Raise, in the consumer, the same exception type naming the row and the original traceback."""
        message = (f"{self.error}\n\n{self.where} raised {type(self.error).__name__}. "
                   f"The original traceback (in the worker):\n{self.trace}")
        try:
            surfaced = type(self.error)(message)
        except Exception:  # an exception type whose constructor takes other arguments
            surfaced = RuntimeError(message)
        raise surfaced from (self.error if isinstance(self.error, BaseException) else None)


def _capture(error, where):
    """A WorkerError for `error` (picklable: the exception is replaced if it cannot be pickled)."""
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return WorkerError(error, trace, str(where))


class FreshRow(tuple):
    """A row whose arrays were made for it and are held by nothing else (a batch's stacked
    columns): an iterator may give them to the user without the defensive copy."""

    __slots__ = ()


class _Stopped(Exception):
    """Raised inside a stage's thread when its consumer went away."""


class Run:
    """The state of one iterator's execution: its seed, its stop flag, threads, process pools and
    the measurements autotune reads."""

    def __init__(self, seed, prefetch_size):
        self.seed = seed
        self.prefetch_size = prefetch_size
        self.stop = threading.Event()
        self.threads = []
        self.pools = {}
        self.stats = {}
        self.op_ids = {}
        self.overrides = {}
        self.contexts = {}
        self.row_sizes = {}  # stage name -> (input MB, output MB) of its process workers' shared memory
        self.memory = {}  # stage name -> its BufferPool
        self.sinks = {}  # (id of a map node, pass) -> the _BatchSink of the batch above it
        self.debug = False
        self.lock = threading.Lock()
        _live_runs.add(self)

    def op_id(self, node):
        """The node's stable index in the tree (its position in a pre-order walk)."""
        return self.op_ids.get(id(node), 0)

    def stat(self, name):
        """The measurements of the stage called name (created on first use)."""
        with self.lock:
            record = self.stats.get(name)
            if record is None:
                record = StageStats(name)
                self.stats[name] = record
            return record

    def spawn(self, target, name):
        """Start a daemon thread running target()."""
        thread = threading.Thread(target=target, name=f"sporen.dataset:{name}", daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread

    def put(self, channel, item, stop):
        """Put into a bounded queue, giving up (False) if the run or the stage stops."""
        while True:
            if self.stop.is_set() or stop.is_set():
                return False
            try:
                channel.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue

    def get(self, channel, stop=None, check=None):
        """Get from a queue, raising _Stopped if the run stops first; check() runs at each wait."""
        while True:
            if self.stop.is_set() or (stop is not None and stop.is_set()):
                raise _Stopped()
            try:
                return channel.get(timeout=_POLL)
            except queue.Empty:
                if check is not None:
                    check()
                continue

    def stage(self, rows, name, capacity=None):
        """Run the generator `rows` in a thread feeding a bounded queue; yield its rows here."""
        capacity = capacity or self.prefetch_size
        channel = queue.Queue(maxsize=max(1, capacity))
        stop = threading.Event()
        stats = self.stat(name)
        stats.capacity = channel.maxsize

        prefetch_key = (name, "prefetch")

        def produce():
            try:
                for row in rows:
                    if not stats.row_bytes:
                        stats.row_bytes = sum(getattr(value, "nbytes", 0) for value in row)
                    wanted = self.overrides.get(prefetch_key)
                    if wanted is not None and wanted != channel.maxsize:
                        _resize_queue(channel, wanted)  # autotune's change, within the pass
                        stats.capacity = channel.maxsize
                    if not self.put(channel, row, stop):
                        return
                self.put(channel, _END, stop)
            except BaseException as error:  # carried to the consumer, raised there
                self.put(channel, ("__sporen_error__", error), stop)
            finally:
                rows.close()

        self.spawn(produce, name)
        try:
            while True:
                stats.sample(channel.qsize())
                item = self.get(channel, stop)
                if isinstance(item, str) and item == _END:
                    return
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) \
                        and item[0] == "__sporen_error__":
                    raise item[1]
                stats.rows += 1
                yield item
        except _Stopped:
            return
        finally:
            stop.set()

    def buffer_pool(self, name):
        """The BufferPool of the stage called name (created on first use; kept across passes)."""
        with self.lock:
            pool = self.memory.get(name)
            if pool is None:
                pool = self.memory[name] = BufferPool()
            return pool

    def workers(self, name, default):
        """The number of workers of the stage `name`: autotune's choice, else the node's own
        (always 1 in debug mode)."""
        if self.debug:
            return 1
        return self.overrides.get((name, "workers"), default)

    def map_rows(self, items, work, workers, name, processes=False, on_error=None, max_rowsize=None):
        """work(item) for each item, in order: inline with one worker, else on `workers` workers.
        A WorkerError result is raised here (the user's exception type, row and traceback), unless
        on_error is given: then on_error(error) gives the row to use instead, or None to drop it.
        max_rowsize: (input MB, output MB) of the shared-memory slots through which process workers
        get a chunk's arrays and return its results' (rowsizes(); None in either: _SHARED_MB);
        chunks larger than a slot are pickled."""
        if max_rowsize is not None:
            self.row_sizes[name] = max_rowsize
        if on_error is not None:
            yield from _handle_errors(self._map_rows(items, work, workers, name, processes, False), on_error)
            return
        yield from self._map_rows(items, work, workers, name, processes, True)

    def _map_rows(self, items, work, workers, name, processes, raise_errors):
        if processes or self.debug:
            # a process pool is forked between passes only (fork from a stage thread is unsafe)
            yield from self._map_segment(items, work, workers, name, processes, raise_errors)
            return
        # thread workers follow autotune within a pass: when it changes the stage's worker count,
        # the rows handed out so far are finished (in order) and the rest go to the new count
        key = (name, "workers")
        try:
            while True:
                segment = _Segment(items, self.overrides, key, workers)
                yield from self._map_segment(segment.rows(), work, workers, name, False, raise_errors)
                if segment.next_workers is None:  # the items ran out, or the run stopped
                    return
                workers = segment.next_workers
        finally:
            items.close()

    def _map_segment(self, items, work, workers, name, processes, raise_errors):
        if workers > 1:
            yield from self.ordered_parallel(items, work, workers, name, processes, raise_errors)
            return
        stats = self.stat(name + "/workers")
        stats.workers = 1
        try:
            for item in items:
                started = time.perf_counter()
                result = work(item)
                stats.busy += time.perf_counter() - started
                if raise_errors and isinstance(result, WorkerError):
                    result.reraise()
                stats.rows += 1
                yield result
        finally:
            items.close()

    def ordered_parallel(self, items, work, workers, name, processes=False, raise_errors=True):
        """Apply work(item) on `workers` workers; yield the results in the order of `items`.

        Errors: a work() that raises gives a WorkerError, re-raised here when its turn comes; an error
        in `items` itself is raised after the rows before it.
        """
        stats = self.stat(name + "/workers")
        stats.workers = workers
        if processes:
            pool = self.pools.get(name)
            if pool is None or pool.size != workers:
                pool = self._pool(name, work, workers)
            yield from self._ordered_with(items, pool.inputs, pool.outputs, name, stats, pool.check, raise_errors,
                                          pool.pack_input, pool.unpack)
            return
        window = max(2 * workers, self.overrides.get((name, "prefetch"), self.prefetch_size))
        yield from self._ordered_threads(items, work, workers, window, name, stats, raise_errors)

    def _ordered_threads(self, items, work, workers, window, name, stats, raise_errors):
        """Thread workers taking chunks from one shared queue as each becomes free (a slow row holds
        up no other worker), their results put back in order by sequence number. At most `window`
        chunks are handed out and not yet given to the consumer (the memory bound)."""
        inputs = queue.Queue()
        outputs = queue.Queue()
        permits = threading.Semaphore(window)
        stop = threading.Event()
        feed_stop = threading.Event()
        feed_error = []
        total = []  # the number of chunks handed out, once the items ran out

        def feed():
            count = 0
            try:
                chunk = []
                for item in items:
                    chunk.append(item)
                    if len(chunk) >= self._chunk_size(stats):
                        if not self._acquire(permits, feed_stop):
                            return
                        inputs.put((count, chunk))
                        count += 1
                        chunk = []
                if chunk and self._acquire(permits, feed_stop):
                    inputs.put((count, chunk))
                    count += 1
            except BaseException as error:
                feed_error.append(error)
            finally:
                items.close()
                total.append(count)
                outputs.put(_END)  # wakes the consumer to read the count
                for _ in range(workers):
                    inputs.put(_END)

        for index in range(workers):
            self.spawn(_shared_worker(self, work, inputs, outputs, stop), f"{name}-worker{index}")
        self.spawn(feed, f"{name}-feed")
        pending = {}
        try:
            for turn in itertools.count():
                while turn not in pending:
                    if total and turn >= total[0]:
                        if feed_error:
                            raise feed_error[0]
                        return
                    stats.sample(len(pending) + outputs.qsize())
                    item = self.get(outputs)
                    if not (isinstance(item, str) and item == _END):
                        pending[item[0]] = item[1:]
                results, elapsed = pending.pop(turn)
                permits.release()
                yield from _give(results, elapsed, stats, raise_errors)
        except _Stopped:
            return
        finally:
            feed_stop.set()
            stop.set()

    def _acquire(self, permits, stop):
        """Take a permit, giving up (False) if the run or the stage stops first."""
        while not permits.acquire(timeout=_POLL):
            if self.stop.is_set() or stop.is_set():
                return False
        return True

    def _ordered_with(self, items, inputs, outputs, name, stats, check, raise_errors, pack, unpack):
        """Feed items round-robin to the workers' input queues (pack(worker, chunk, stop) makes the
        message); read outputs in the same order (unpack(worker, message) gives each output's
        (results, seconds))."""
        workers = len(inputs)
        feed_stop = threading.Event()
        feed_error = []

        def feed():
            try:
                count = 0
                chunk = []
                def stopped():
                    return self.stop.is_set() or feed_stop.is_set()

                for item in items:
                    chunk.append(item)
                    if len(chunk) >= self._chunk_size(stats):
                        index = count % workers
                        if not self.put(inputs[index], pack(index, chunk, stopped), feed_stop):
                            chunk = []
                            break
                        count += 1
                        chunk = []
                if chunk:
                    self.put(inputs[count % workers], pack(count % workers, chunk, stopped), feed_stop)
            except BaseException as error:
                feed_error.append(error)
            finally:
                items.close()
                for channel in inputs:
                    self.put(channel, _END, _never)

        self.spawn(feed, f"{name}-feed")
        finished = [False] * workers
        try:
            for turn in itertools.count():
                index = turn % workers
                stats.sample(sum(channel.qsize() for channel in outputs))
                chunk = self.get(outputs[index], check=check)
                if isinstance(chunk, str) and chunk == _END:
                    finished[index] = True
                    break
                yield from _give(*unpack(index, chunk), stats, raise_errors)
            if feed_error:
                raise feed_error[0]
        except _Stopped:
            return
        finally:
            feed_stop.set()
            self._drain(outputs, finished, check, unpack)

    def _chunk_size(self, stats):
        """How many items go to a worker at once: enough for about 2 ms of work, so that cheap
        operations do not pay a thread hand-off per row; at most prefetch_size (the memory bound)."""
        if stats.rows < 4 * max(1, stats.workers) or stats.busy <= 0:
            return 1
        per_row = stats.busy / stats.rows
        return max(1, min(self.prefetch_size, 64, int(0.002 / max(per_row, 1e-7))))

    def _drain(self, outputs, finished, check=None, unpack=None):
        """Read the workers' outputs until each has sent its end marker (bounded: the queues are),
        handing each back to unpack (which frees its shared memory); give up at once if a worker
        process died (it will never send its marker)."""
        deadline = time.monotonic() + 10.0
        for index, channel in enumerate(outputs):
            while not finished[index] and time.monotonic() < deadline and not self.stop.is_set():
                try:
                    item = channel.get(timeout=_POLL)
                except queue.Empty:
                    if check is not None:
                        try:
                            check()
                        except RuntimeError:
                            return
                    continue
                if isinstance(item, str) and item == _END:
                    finished[index] = True
                elif unpack is not None:
                    unpack(index, item, keep=False)

    def _pool(self, name, work, workers, max_rowsize=None):
        """The process pool of a stage, forked once per Run and kept across epochs; max_rowsize:
        the stage's (input MB, output MB) of shared memory (see map_rows)."""
        if max_rowsize is not None:
            self.row_sizes[name] = max_rowsize
        workers = self.workers(name, workers)
        pool = self.pools.get(name)
        if pool is None or pool.size != workers:
            if pool is not None:
                pool.close()
            shared = None
            if config.get_enable_shared_mem():
                in_mb, out_mb = self.row_sizes.get(name) or (None, None)
                shared = (in_mb or _SHARED_MB, out_mb or _SHARED_MB)
            pool = ProcessPool(work, workers, max(2, self.prefetch_size // workers), name, shared)
            self.pools[name] = pool
        return pool

    def close(self):
        """Stop every thread and process of the run and wait for them (briefly)."""
        self.stop.set()
        current = threading.current_thread()
        for thread in self.threads:
            if thread is not current:
                thread.join(timeout=5.0)
        self.threads = [thread for thread in self.threads if thread.is_alive()]
        for pool in self.pools.values():
            pool.close()
        self.pools = {}
        self.memory = {}


def _resize_queue(channel, capacity):
    """Change a bounded queue's capacity while producers and consumers use it."""
    with channel.mutex:
        channel.maxsize = max(1, int(capacity))
        channel.not_full.notify_all()


class BufferPool:
    """Memory for a stage's large output arrays (a batch's columns), used again once nothing refers to
    it any more. A fresh 19 MB batch of 224x224 float images costs about 400 page faults as it is
    filled: 10-15 ms of CPU a batch on this machine, three times the copying itself. An array given
    out is a view of one of the pool's buffers, so it and every view made of it keep the buffer's
    reference count up: a buffer is free when only the pool holds it. The pool keeps at most
    _POOL_BUFFERS buffers (as many as were in use at once) until its run ends; beyond that, and for
    arrays under _POOL_MIN_BYTES, numpy.empty as usual."""

    def __init__(self):
        self.buffers = []
        self.lock = threading.Lock()

    def empty(self, shape, dtype):
        """An uninitialized C-ordered array of this shape and dtype."""
        dtype = np.dtype(dtype)
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        if nbytes < _POOL_MIN_BYTES:
            return np.empty(shape, dtype)
        with self.lock:
            for buffer in self.buffers:
                if buffer.nbytes == nbytes and _references(buffer) == _FREE_REFERENCES:
                    return buffer.view(dtype).reshape(shape)
            buffer = np.empty(nbytes, np.uint8)
            if len(self.buffers) < _POOL_BUFFERS:
                self.buffers.append(buffer)
        return buffer.view(dtype).reshape(shape)


_POOL_MIN_BYTES = 1 << 20
_POOL_BUFFERS = 32


def _references(buffer):
    """The reference count of a pool's buffer, as seen from BufferPool.empty's loop."""
    return sys.getrefcount(buffer)


def _free_references():
    """What _references gives for a buffer only a pool's list holds (measured the same way, so that
    it holds whatever the interpreter counts)."""
    buffers = [np.empty(1, np.uint8)]
    for buffer in buffers:
        return _references(buffer)


_FREE_REFERENCES = _free_references()


class _NeverSet:
    """A stop flag that is never set (the end markers must always be delivered)."""

    @staticmethod
    def is_set():
        return False


_never = _NeverSet()


def _give(results, elapsed, stats, raise_errors):
    """A chunk's results, counted into the stage's measurements; a WorkerError among them is raised
    (with raise_errors) when its turn comes."""
    stats.busy += elapsed
    for result in results:
        if raise_errors and isinstance(result, WorkerError):
            result.reraise()
        stats.rows += 1
        yield result


def _shared_worker(run, work, inputs, outputs, stop):
    """The loop of one worker thread on a shared queue: (sequence number, chunk) in, (sequence
    number, results, seconds) out, until the end marker or the stop flag."""

    def loop():
        while True:
            try:
                item = run.get(inputs, stop)
            except _Stopped:
                return
            if isinstance(item, str) and item == _END:
                return
            sequence, chunk = item
            results, elapsed = _apply_chunk(work, chunk)
            outputs.put((sequence, results, elapsed))

    return loop


class _Segment:
    """The items of a map stage up to the moment its worker count (run.overrides[key]) changes."""

    def __init__(self, items, overrides, key, workers):
        self.items = items
        self.overrides = overrides
        self.key = key
        self.workers = workers
        self.next_workers = None  # the new count, once a change ended the segment

    def rows(self):
        # iterating with next() (not closing self.items when this generator is closed): the next
        # segment goes on from the item after the last one given here
        while True:
            try:
                item = next(self.items)
            except StopIteration:
                return
            yield item
            wanted = self.overrides.get(self.key, self.workers)
            if wanted != self.workers:
                self.next_workers = max(1, int(wanted))
                return


class StageStats:
    """What autotune measures of a stage: rows out, queue occupancy samples, busy time, workers."""

    def __init__(self, name):
        self.name = name
        self.rows = 0
        self.busy = 0.0
        self.workers = 1
        self.capacity = 0
        self.occupancy_sum = 0
        self.occupancy_count = 0
        self.row_bytes = 0

    def sample(self, occupancy):
        self.occupancy_sum += occupancy
        self.occupancy_count += 1

    def mean_occupancy(self):
        """The mean fraction of the output queue that was full when the consumer asked for a row."""
        if not self.occupancy_count or not self.capacity:
            return 0.0
        return self.occupancy_sum / self.occupancy_count / self.capacity

    def reset(self):
        self.rows = 0
        self.busy = 0.0
        self.occupancy_sum = 0
        self.occupancy_count = 0


def _handle_errors(results, on_error):
    """The results, each WorkerError among them replaced by on_error(error) (None: dropped)."""
    remember = getattr(on_error, "remember", None)
    try:
        for result in results:
            if isinstance(result, WorkerError):
                result = on_error(result)
                if result is None:
                    continue
            elif remember is not None:
                remember(result)
            yield result
    finally:
        results.close()


def _apply_chunk(work, chunk):
    """(the results of work over a chunk of items, the seconds it took)."""
    started = time.perf_counter()
    results = [work(item) for item in chunk]
    return results, time.perf_counter() - started


def _process_main(work, inputs, outputs, slots, in_slots):
    """The loop of a worker process (forked: `work` is inherited, never pickled). A chunk comes as
    (input slot or None, items); its results go back through the worker's shared-memory slots
    where they fit (slots, in_slots: _SharedSlots, or None)."""
    while True:
        message = inputs.get()
        if isinstance(message, str):
            if message == _SHUTDOWN:
                return
            if message == _END:
                outputs.put(_END)
                continue
        slot, chunk = message
        if slot is not None:
            chunk = in_slots.unpack(slot, chunk)  # copied out, the slot freed for the next chunk
        results, elapsed = _apply_chunk(work, chunk)
        results = [_picklable_error(result) if isinstance(result, WorkerError) else result for result in results]
        packed = slots.pack(results) if slots is not None else None
        outputs.put((results, elapsed, None) if packed is None else (packed[1], elapsed, packed[0]))


# Process workers get a chunk's input arrays and return its results' arrays through shared memory
# (config.set_enable_shared_mem, on by default) when they take at least _SHARED_MIN_BYTES (below
# that, pickling through the pipe costs less) and fit a slot of max_rowsize MB (map's argument:
# [input, output]; _SHARED_MB when not given)
_SHARED_MIN_BYTES = 64 * 1024
_SHARED_MB = 16
_ALIGN = 64


class _InSlot:
    """An array written into a slot: its offset there, shape and dtype."""

    __slots__ = ("offset", "shape", "dtype")

    def __init__(self, offset, shape, dtype):
        self.offset = offset
        self.shape = shape
        self.dtype = dtype


class _PackedTuple(list):
    """A tuple whose arrays were written into a slot (as _InSlot entries)."""


class _PackedList(list):
    """A list whose arrays were written into a slot (as _InSlot entries)."""


def _shared_bytes(value):
    """The slot bytes the arrays among value (through nested tuples and lists) would take."""
    if _shareable(value):
        return -(-value.nbytes // _ALIGN) * _ALIGN
    if isinstance(value, (tuple, list)):
        return sum(_shared_bytes(item) for item in value)
    return 0


def rowsizes(owner, value):
    """(input MB, output MB) of shared memory a process worker's chunk of inputs and of results may
    take, from a max_rowsize argument (MindSpore's: an int of MB for both, or [input MB, output MB];
    None or -1: allocated as needed, here slots of _SHARED_MB, given as None); TypeError /
    ValueError naming the argument otherwise."""
    def one(size):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"{owner}: 'max_rowsize' must be an int (MB), a list of two ints or None, "
                            f"got {type(size).__name__}")
        if size != -1 and size <= 0:
            raise ValueError(f"{owner}: 'max_rowsize' must be a positive number of MB or -1, got {size}")
        return None if size == -1 else int(size)

    if value is None:
        return None, None
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{owner}: 'max_rowsize' as a list must hold [input MB, output MB], got {value!r}")
        return one(value[0]), one(value[1])
    size = one(value)
    return size, size


def _shareable(value):
    return isinstance(value, np.ndarray) and not value.dtype.hasobject


class _SharedSlots:
    """One direction of one worker process's shared memory (its inputs, or its results): an
    anonymous shared mapping made before the fork (so the worker inherits it, and no name needs
    unlinking), cut into `count` slots of `size` bytes, with the queue of the free slots. The
    sending side writes a chunk's arrays into a free slot and sends only their offsets, shapes and
    dtypes; the receiving side copies them out and frees the slot: two copies instead of
    pickling's four and a pipe's worth of system calls."""

    def __init__(self, context, count, size):
        self.size = size
        self.memory = mmap.mmap(-1, count * size)
        self.free = context.Queue()
        for slot in range(count):
            self.free.put(slot)

    def pack(self, values, stop=None):
        """(slot, packed values) with the arrays among `values` (a list, searched through nested
        tuples and lists) written into a free slot, waiting for one (giving up, None, once
        stop() is true), or None where they are small (pickling costs less) or do not fit a slot."""
        if not _SHARED_MIN_BYTES <= _shared_bytes(values) <= self.size:
            return None
        while True:
            try:
                slot = self.free.get(timeout=_POLL)
                break
            except queue.Empty:
                if stop is not None and stop():
                    return None
        offset = [slot * self.size]

        def put(value):
            if _shareable(value):
                np.ndarray(value.shape, value.dtype, buffer=self.memory, offset=offset[0])[...] = value
                entry = _InSlot(offset[0] - slot * self.size, value.shape, value.dtype)
                offset[0] += -(-value.nbytes // _ALIGN) * _ALIGN
                return entry
            if isinstance(value, tuple):
                return _PackedTuple(put(item) for item in value)
            if isinstance(value, list):
                return _PackedList(put(item) for item in value)
            return value

        return slot, [put(value) for value in values]

    def unpack(self, slot, packed, keep=True):
        """The values of a packed list, each array copied out of the slot, which is then freed
        (keep False: only free it)."""
        try:
            if not keep:
                return None
            base = slot * self.size

            def get(value):
                if isinstance(value, _InSlot):
                    return np.ndarray(value.shape, value.dtype, buffer=self.memory, offset=base + value.offset).copy()
                if isinstance(value, _PackedTuple):
                    return tuple(get(item) for item in value)
                if isinstance(value, _PackedList):
                    return [get(item) for item in value]
                return value

            return [get(value) for value in packed]
        finally:
            self.free.put(slot)

    def close(self):
        self.free.cancel_join_thread()
        self.free.close()
        try:
            self.memory.close()
        except BufferError:  # an array still viewing it (an error path): the mapping goes at exit
            pass


def _picklable_error(error):
    """A WorkerError whose exception survives pickling (else a RuntimeError with its text)."""
    import pickle
    try:
        pickle.dumps(error.error)
    except Exception:
        error.error = RuntimeError(f"{type(error.error).__name__}: {error.error}")
    error.error.__traceback__ = None
    return error


class ProcessPool:
    """`size` forked worker processes applying `work`, each with its own bounded input/output queue."""

    def __init__(self, work, size, capacity, name, shared_mb=None):
        context = multiprocessing.get_context("fork")
        self.size = size
        self.inputs = [context.Queue(maxsize=capacity) for _ in range(size)]
        self.outputs = [context.Queue(maxsize=capacity) for _ in range(size)]
        # shared_mb: (input MB, output MB), or None for pickling only. A worker may hold a slot for
        # each chunk in its queue, one being read and one being written
        in_mb, out_mb = shared_mb or (0, 0)
        self.slots = [_SharedSlots(context, capacity + 2, int(out_mb * 1024 * 1024)) if out_mb else None
                      for _ in range(size)]
        self.in_slots = [_SharedSlots(context, capacity + 2, int(in_mb * 1024 * 1024)) if in_mb else None
                         for _ in range(size)]
        self.processes = []
        for index in range(size):
            process = context.Process(target=_process_main,
                                      args=(work, self.inputs[index], self.outputs[index], self.slots[index],
                                            self.in_slots[index]),
                                      name=f"sporen.dataset:{name}-worker{index}", daemon=True)
            process.start()
            self.processes.append(process)

    def pack_input(self, index, chunk, stop):
        """The message that gives worker index a chunk of items: its arrays in one of the worker's
        input slots where they fit (waiting for a free one until stop() is true), else pickled."""
        slots = self.in_slots[index]
        packed = slots.pack(chunk, stop) if slots is not None else None
        return (None, chunk) if packed is None else packed

    def unpack(self, index, message, keep=True):
        """(results, seconds) of worker index's output message, its arrays copied out of shared
        memory and their slot freed (keep False: only free it)."""
        results, elapsed, slot = message
        if slot is not None:
            results = self.slots[index].unpack(slot, results, keep)
        return results, elapsed

    def check(self):
        """Raise RuntimeError if a worker process died (killed, out of memory, crashed)."""
        for index, process in enumerate(self.processes):
            if not process.is_alive():
                raise RuntimeError(f"{process.name}: worker process {index} exited unexpectedly "
                                   f"(exit code {process.exitcode}); the pipeline cannot go on")

    def close(self):
        """Ask each worker to exit; terminate those that do not within a second."""
        for channel in self.inputs:
            try:
                channel.put(_SHUTDOWN, timeout=0.2)
            except queue.Full:
                pass
        deadline = time.monotonic() + 1.0
        for process in self.processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(timeout=1.0)
        for channel in self.inputs + self.outputs:
            channel.cancel_join_thread()
            channel.close()
        for slots in self.slots + self.in_slots:
            if slots is not None:
                slots.close()
        self.processes = []


def run_row(work, pipeline_seed, op_id, pass_id, row_index, where):
    """Call work() with rng() keyed to this row; return its result or a WorkerError."""
    ds_random.enter_row(pipeline_seed, op_id, pass_id, row_index)
    try:
        return work()
    except Exception as error:
        return _capture(error, where)
    finally:
        ds_random.leave_row()


def close_all():
    """Close every live run (at interpreter exit, so no worker outlives the program)."""
    for run in list(_live_runs):
        run.close()


def cpu_count():
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
