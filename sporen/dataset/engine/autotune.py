"""AutoTune: measure each stage of a running pipeline, raise the workers or the prefetch of the
bottleneck within the CPU count and a memory budget, log what changed, save the tuned settings.

Each stage records how busy its workers were (time in the user's operations per worker and per
second of wall time) and how full its output queue was when its consumer asked for a row. At
each adjustment (every `config.set_autotune_interval` steps, or at the end of each epoch when it
is 0) the busiest stage whose output queue runs nearly empty is the bottleneck: it gets more
workers (up to the CPU count), or, when it already has them all and the CPUs are not all busy (its
work waits on I/O, or comes in bursts), a deeper prefetch queue (within a quarter of the memory);
when this process keeps every CPU busy the pipeline is compute-bound, and a deeper queue would
only hold memory. A change takes effect at once: a stage's queue grows at its next row, a
stage with thread workers finishes the rows it has handed out and goes on with the new count;
only process workers (forked between passes) change at the next epoch. The tuned settings go to
`<filepath_prefix>_<rank>.json` (MindSpore's AutoTune file: "remark", "summary", "tree"); a run that
finds that file at start begins from the settings it holds.
"""
import json
import logging
import os
import time

from .. import config
from .runtime import cpu_count
from .serialize import write_json_atomic

logger = logging.getLogger("sporen.dataset")

_LOW_QUEUE = 0.5
_BUSY = 0.5
_SATURATED = 0.85  # CPUs this busy: a deeper queue would gain nothing
_MAX_PREFETCH = 256
_ROWS_PER_WORKER = 4  # the least prefetch (rows) per worker AutoTune gives a stage it adds workers to


def _memory_budget():
    """A quarter of the machine's memory, in bytes."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    except (ValueError, OSError, AttributeError):
        return 2 ** 30


class AutoTuner:
    """The tuner of one iterator's Run (created by the iterator when AutoTune is enabled)."""

    def __init__(self, run, nodes):
        self.run = run
        self.nodes = nodes
        self.interval = config.get_autotune_interval()
        self.max_workers = cpu_count()
        self.budget = _memory_budget()
        self.last = time.perf_counter()
        self.last_cpu = time.process_time()
        self.changes = []
        self.last_verdict = None  # what the last adjustment that changed nothing found
        self.path = config._autotune_filepath()
        self.tunable = {}
        self.by_name = {}
        self.inputs = {}  # a tunable stage -> the stages whose queues feed it
        for node in nodes:
            name = node._stage_name(run)
            self.by_name[name] = node
            if _is_tunable(node):
                self.tunable[name] = node
                self.inputs[name] = [child._stage_name(run) for child in _feeding_stages(node)]
        if self.path and os.path.exists(self.path):
            self._load(self.path)

    def _load(self, path):
        """Start from the settings a previous run saved."""
        try:
            with open(path, encoding="utf-8") as handle:
                saved = json.load(handle)
        except (OSError, ValueError) as error:
            logger.warning("AutoTune: cannot read %s (%s); starting from the pipeline's own settings", path, error)
            return
        for entry in _flatten(saved.get("tree", {})):
            name = entry.get("op_name")
            if name in self.tunable and "num_parallel_workers" in entry:
                self.run.overrides[(name, "workers")] = int(entry["num_parallel_workers"])
            if "prefetch_size" in entry:
                self.run.overrides[(name, "prefetch")] = int(entry["prefetch_size"])
        logger.info("AutoTune: starting from the settings saved in %s", path)

    def step(self, epoch, step):
        """Called after each row the iterator gives."""
        if self.interval and step % self.interval == 0:
            self.adjust()

    def epoch_end(self, epoch):
        """Called when an epoch ends."""
        if not self.interval:
            self.adjust()

    def workers_of(self, name):
        node = self.tunable[name]
        return self.run.overrides.get((name, "workers"), node._workers())

    def prefetch_of(self, name):
        node = self.by_name.get(name)
        default = getattr(node, "_prefetch_size", None) or self.run.prefetch_size
        return self.run.overrides.get((name, "prefetch"), default)

    def adjust(self):
        """Find the bottleneck stage from the measurements since the last call; give it more resources."""
        now = time.perf_counter()
        elapsed = max(now - self.last, 1e-9)
        self.last = now
        cpu_now = time.process_time()
        cpu = (cpu_now - self.last_cpu) / (elapsed * self.max_workers)  # this process's threads
        self.last_cpu = cpu_now
        measured = []
        for name in self.tunable:
            work = self.run.stats.get(name + "/workers")
            queue = self.run.stats.get(name)
            if work is None or work.rows == 0:
                continue
            workers = max(1, work.workers)
            busy = work.busy / (elapsed * workers)
            occupancy = queue.mean_occupancy() if queue is not None else 0.0
            measured.append((busy, occupancy, name, workers))
        for record in self.run.stats.values():
            record.reset()
        if not measured:
            return
        candidates = [item for item in measured if item[1] < _LOW_QUEUE]
        if not candidates:
            self._verdict(("not the bottleneck",), "AutoTune: every stage's output queue is at least half "
                          "full: the pipeline is not the bottleneck, nothing changed")
            return
        busy, occupancy, name, workers = max(candidates)
        if busy < _BUSY and workers > 1:
            self._verdict(("idle", name), "AutoTune: no stage is busy (the busiest, %s, %.0f%%); nothing changed",
                          name, 100 * busy)
            return
        if workers < self.max_workers:
            new_workers = min(self.max_workers, max(workers + 1, workers * 2))
            self.run.overrides[(name, "workers")] = new_workers
            self._record(name, "num_parallel_workers", workers, new_workers, busy, occupancy)
            # the queues around the stage must absorb what its workers make and take while the
            # threads at their other ends wait for a CPU (or stack a batch): queues shorter than
            # _ROWS_PER_WORKER rows a worker stall the workers
            for queue_of in [name] + self.inputs[name]:
                prefetch = self.prefetch_of(queue_of)
                wanted = _ROWS_PER_WORKER * new_workers
                if prefetch < wanted and wanted * max(self._row_bytes(queue_of), 1) <= self.budget:
                    self.run.overrides[(queue_of, "prefetch")] = wanted
                    why = None if queue_of == name else f"{queue_of} feeds {name}, now with {new_workers} workers"
                    self._record(queue_of, "prefetch_size", prefetch, wanted, busy, occupancy, why)
            return
        if cpu >= _SATURATED:
            self._verdict(("compute-bound", name), "AutoTune: %s is the bottleneck with %d workers, and the CPUs "
                          "were %.0f%% busy: the pipeline is compute-bound, nothing changed", name, workers, 100 * cpu)
            return
        prefetch = self.prefetch_of(name)
        new_prefetch = min(_MAX_PREFETCH, prefetch * 2)
        if new_prefetch > prefetch and new_prefetch * max(self._row_bytes(name), 1) <= self.budget:
            self.run.overrides[(name, "prefetch")] = new_prefetch
            self._record(name, "prefetch_size", prefetch, new_prefetch, busy, occupancy)
        else:
            self._verdict(("at its limits", name), "AutoTune: %s is the bottleneck but has all %d CPUs and its "
                          "memory budget; nothing changed", name, workers)

    def _verdict(self, kind, message, *args):
        """Log an adjustment that changed nothing: at INFO when it differs from the previous one (or
        a change came between them), else at DEBUG (the same verdict every interval says nothing new)."""
        level = logging.DEBUG if kind == self.last_verdict else logging.INFO
        self.last_verdict = kind
        logger.log(level, message, *args)

    def _row_bytes(self, name):
        """The bytes of one row of the stage's output (0 before its first row)."""
        return self.run.stats[name].row_bytes if name in self.run.stats else 0

    def _record(self, name, setting, old, new, busy, occupancy, why=None):
        if why is None:
            why = f"{name} is the bottleneck (workers {100 * busy:.0f}% busy, output queue {100 * occupancy:.0f}% full)"
        logger.info("AutoTune: %s: %s %s %d -> %d", why, name, setting, old, new)
        self.last_verdict = None
        self.changes.append({"op": name, "setting": setting, "from": old, "to": new})
        self.save()

    def tree(self):
        """The pipeline with its tuned settings: serialize()'s tree (so that ds.deserialize rebuilds the
        tuned pipeline) when every argument can be saved, else the ops and their settings only."""
        from .serialize import node_dict
        try:
            entry = node_dict(self.nodes[0])
        except RuntimeError:
            entry = None
        return self._settings(self.nodes[0], entry)

    def _settings(self, node, entry):
        name = node._stage_name(self.run)
        if entry is None:
            entry = {"op_type": type(node).__name__, "children": [None] * len(node.children)}
        entry["op_name"] = name
        entry["op_id"] = self.run.op_id(node)
        if node._stage:
            entry["prefetch_size"] = self.prefetch_of(name)
        if name in self.tunable:
            entry["num_parallel_workers"] = self.workers_of(name)
        entry["children"] = [self._settings(child, child_entry)
                             for child, child_entry in zip(node.children, entry["children"])]
        return entry

    def summary(self):
        lines = []
        for entry in _flatten(self.tree()):
            name = entry["op_name"]
            workers = entry.get("num_parallel_workers", 1)
            prefetch = entry.get("prefetch_size", "-")
            lines.append(f"{name:<24}(num_parallel_workers: {workers}, prefetch_size: {prefetch})")
        return lines

    def save(self):
        """Write the tuned configuration to the AutoTune file, if one was asked for."""
        if not self.path:
            return
        content = {"remark": "The following file has been auto-generated by the Dataset AutoTune.",
                   "summary": self.summary(), "tree": self.tree(), "changes": self.changes}
        write_json_atomic(self.path, content)

    def finish(self):
        """The iterator ended: log the final settings and save them."""
        if self.changes:
            logger.info("AutoTune: final settings:\n  %s", "\n  ".join(self.summary()))
        self.save()


def _is_tunable(node):
    from .batch import BatchDataset
    from .datasets import MappableDataset
    from .ops import FilterDataset, MapDataset
    if isinstance(node, MappableDataset):
        return getattr(node, "random_access", True)
    if isinstance(node, BatchDataset):
        return node.per_batch_map is not None
    return isinstance(node, (MapDataset, FilterDataset))


def _feeding_stages(node):
    """The stages whose output queues feed node: the nearest stage below it on each branch."""
    found = []
    for child in node.children:
        if child._stage:
            found.append(child)
        else:
            found.extend(_feeding_stages(child))
    return found


def _flatten(tree):
    """The entries of an AutoTune tree, pre-order."""
    if not tree:
        return []
    entries = [tree]
    for child in tree.get("children", []):
        entries.extend(_flatten(child))
    return entries
