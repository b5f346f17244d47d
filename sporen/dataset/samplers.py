"""Samplers: which rows of a random-access source a pass reads, and in which order
(MindSpore's Sequential/Random/Distributed/SubsetRandom/Subset/WeightedRandom/PK samplers).

A sampler gives, for a source of n rows and a pass over the data, an int64 array of row indices
(`_sample_ids`). Random samplers draw from a generator keyed by (the pipeline's seed, the pass), so
an iterator built again with the same seed gives the same orders, epoch after epoch. A sampler with
a child (add_child) samples from the child's output, as MindSpore's do.
"""
import copy
import numbers

import numpy

from . import config

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "DistributedSampler",
           "SubsetRandomSampler", "SubsetSampler", "WeightedRandomSampler", "PKSampler"]

INT64_MAX = 9223372036854775807
# distinct streams for each kind of random sampler, so that two samplers never draw the same numbers
_SALT_RANDOM = 0x5EED0001
_SALT_DISTRIBUTED = 0x5EED0002
_SALT_SUBSET = 0x5EED0003
_SALT_WEIGHTED = 0x5EED0004
_SALT_PK = 0x5EED0005


def _check_num_samples(owner, num_samples):
    """num_samples: None or an int in [0, INT64_MAX]."""
    if num_samples is None:
        return
    if not isinstance(num_samples, int) or isinstance(num_samples, bool):
        raise TypeError(f"{owner}: 'num_samples' must be an int, got {type(num_samples).__name__}")
    if num_samples < 0 or num_samples > INT64_MAX:
        raise ValueError(f"{owner}: 'num_samples' must be within [0, INT64_MAX], got {num_samples}")


def _check_bool(owner, name, value):
    """Raise TypeError unless value is a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: '{name}' must be a bool, got {type(value).__name__}")


def _generator(seed, salt, pass_id):
    """The generator of one sampler kind for one pass over the data."""
    return numpy.random.Generator(numpy.random.PCG64([seed, salt, pass_id]))


def _cap(ids, num_samples):
    """At most num_samples ids (None or 0: all of them)."""
    if num_samples:
        return ids[:num_samples]
    return ids


class BuiltinSampler:
    """Base class of the built-in samplers (not to be subclassed by users: subclass Sampler)."""

    def __init__(self, num_samples=None):
        self.child_sampler = None
        self.num_samples = num_samples

    def add_child(self, sampler):
        """Make this sampler sample from the output of `sampler` instead of from the whole source."""
        if self.child_sampler is not None:
            raise RuntimeError(f"{type(self).__name__}.add_child: this sampler already has a child")
        if sampler is not None and not isinstance(sampler, BuiltinSampler):
            raise TypeError(f"{type(self).__name__}.add_child: 'sampler' must be a sampler, "
                            f"got {type(sampler).__name__}")
        self.child_sampler = sampler

    def get_child(self):
        """The child sampler, or None."""
        return self.child_sampler

    def get_num_samples(self):
        """num_samples, combined with the child's as MindSpore does (the smaller of both if both)."""
        if self.child_sampler is not None:
            child_samples = self.child_sampler.get_num_samples()
            if self.num_samples is not None:
                if child_samples is not None:
                    return min(self.num_samples, child_samples)
                return self.num_samples
            return child_samples
        return self.num_samples

    def is_shuffled(self):
        """Whether the sampler (or its child) shuffles."""
        if self.child_sampler is not None:
            return self.child_sampler.is_shuffled()
        return self._own_shuffled()

    def is_sharded(self):
        """Whether the sampler (or its child) takes one shard of the data."""
        if self.child_sampler is not None:
            return self.child_sampler.is_sharded()
        return False

    def _own_shuffled(self):
        return False

    def _sample_ids(self, num_rows, pass_id, seed, source=None):
        """The row indices of one pass over a source of num_rows rows."""
        if self.child_sampler is not None:
            child_ids = self.child_sampler._sample_ids(num_rows, pass_id, seed, source)
            local_ids = self._own_ids(len(child_ids), pass_id, seed, source)
            return child_ids[local_ids]
        return self._own_ids(num_rows, pass_id, seed, source)

    def _own_ids(self, num_rows, pass_id, seed, source):
        raise NotImplementedError

    def _count(self, num_rows):
        """How many ids a pass gives over num_rows rows (without drawing them where possible)."""
        if self.child_sampler is not None:
            num_rows = self.child_sampler._count(num_rows)
        return self._own_count(num_rows)

    def _own_count(self, num_rows):
        return len(self._own_ids(num_rows, 0, 0, None))

    def __repr__(self):
        return f"{type(self).__name__}(num_samples={self.num_samples})"


class Sampler(BuiltinSampler):
    """Base class of a user-defined sampler: override __iter__ (it may read self.dataset_size),
    and optionally reset() (called before each pass)."""

    def __init__(self, num_samples=None):
        super().__init__(num_samples)
        self.dataset_size = 0
        if self.num_samples is None and hasattr(self, "__len__"):
            self.num_samples = len(self)

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: a Sampler must implement __iter__")

    def reset(self):
        """Called before each pass over the data; override to change state between epochs."""

    def get_indices(self):
        """The indices of one pass (at most num_samples of them)."""
        ids = []
        for count, index in enumerate(self):
            if isinstance(index, numbers.Number):
                ids.append(int(index))
            else:
                ids.extend(int(i) for i in index)
            if self.num_samples is not None and count + 1 >= self.num_samples:
                break
        return numpy.asarray(ids, dtype=numpy.int64)

    def get_num_samples(self):
        if self.num_samples is not None:
            return self.num_samples
        return len(copy.deepcopy(self).get_indices())

    def _own_ids(self, num_rows, pass_id, seed, source):
        self.dataset_size = num_rows
        if pass_id > 0:
            self.reset()
        ids = self.get_indices()
        _check_range(type(self).__name__, ids, num_rows)
        return ids

    def _own_count(self, num_rows):
        probe = copy.deepcopy(self)
        probe.dataset_size = num_rows
        return len(probe.get_indices())


class IterSampler(Sampler):
    """A sampler over any iterable of indices the user gave as `sampler`."""

    def __init__(self, sampler, num_samples=None):
        self.sampler = sampler
        super().__init__(num_samples)

    def __iter__(self):
        return iter(self.sampler)


def _check_range(owner, ids, num_rows):
    """Raise IndexError naming the sampler when an index falls outside the source."""
    if len(ids) and (ids.min() < -num_rows or ids.max() >= num_rows):
        bad = ids[(ids < -num_rows) | (ids >= num_rows)][0]
        raise IndexError(f"{owner}: sample index {int(bad)} is out of range for a dataset of {num_rows} rows")


class SequentialSampler(BuiltinSampler):
    """Rows in order, from start_index, at most num_samples of them."""

    def __init__(self, start_index=None, num_samples=None):
        if start_index is not None:
            if not isinstance(start_index, int) or isinstance(start_index, bool):
                raise TypeError(f"SequentialSampler: 'start_index' must be an int, got {type(start_index).__name__}")
            if start_index < 0:
                raise RuntimeError(f"SequentialSampler: 'start_index' must be >= 0, got {start_index}")
        _check_num_samples("SequentialSampler", num_samples)
        self.start_index = start_index
        super().__init__(num_samples)

    def _own_ids(self, num_rows, pass_id, seed, source):
        start = self.start_index or 0
        if start > num_rows or (start == num_rows and num_rows > 0):
            raise RuntimeError(f"SequentialSampler: 'start_index' {start} must be less than the "
                               f"dataset size {num_rows}")
        return _cap(numpy.arange(start, num_rows, dtype=numpy.int64), self.num_samples)

    def _own_count(self, num_rows):
        available = max(num_rows - (self.start_index or 0), 0)
        if self.num_samples:
            return min(available, self.num_samples)
        return available


class RandomSampler(BuiltinSampler):
    """Rows in a random order (a new one each epoch); with replacement, num_samples random draws."""

    def __init__(self, replacement=False, num_samples=None, shuffle=True):
        _check_bool("RandomSampler", "replacement", replacement)
        _check_num_samples("RandomSampler", num_samples)
        self.replacement = replacement
        self.shuffle = shuffle
        super().__init__(num_samples)

    def _own_shuffled(self):
        return True

    def _own_ids(self, num_rows, pass_id, seed, source):
        generator = _generator(seed, _SALT_RANDOM, pass_id)
        if self.replacement:
            count = self.num_samples if self.num_samples else num_rows
            if num_rows == 0:
                return numpy.zeros(0, dtype=numpy.int64)
            return generator.integers(0, num_rows, size=count, dtype=numpy.int64)
        return _cap(generator.permutation(num_rows).astype(numpy.int64), self.num_samples)

    def _own_count(self, num_rows):
        if self.replacement and self.num_samples:
            return self.num_samples if num_rows else 0
        if self.num_samples:
            return min(num_rows, self.num_samples)
        return num_rows


class DistributedSampler(BuiltinSampler):
    """One shard of num_shards: shard k reads positions k, k + num_shards, ... of the (shuffled) rows,
    wrapping around so that every shard has ceil(n / num_shards) rows. Every shard shuffles with the
    same permutation (config's seed, which is the same in every process), new at each epoch."""

    def __init__(self, num_shards, shard_id, shuffle=True, num_samples=None, offset=-1):
        for name, value in (("num_shards", num_shards), ("shard_id", shard_id), ("offset", offset)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"DistributedSampler: '{name}' must be an int, got {type(value).__name__}")
        if not isinstance(shuffle, bool) and not _is_shuffle_enum(shuffle):
            raise TypeError(f"DistributedSampler: 'shuffle' must be a bool or Shuffle, got {type(shuffle).__name__}")
        _check_num_samples("DistributedSampler", num_samples)
        if num_shards <= 0:
            raise RuntimeError(f"DistributedSampler: 'num_shards' must be positive, got {num_shards}")
        if shard_id < 0 or shard_id >= num_shards:
            raise RuntimeError(f"DistributedSampler: 'shard_id' must be within [0, {num_shards - 1}], got {shard_id}")
        if offset > num_shards:
            raise RuntimeError(f"DistributedSampler: 'offset' must be at most num_shards ({num_shards}), got {offset}")
        self.num_shards = num_shards
        self.shard_id = shard_id
        self.shuffle = _shuffle_is_on(shuffle)
        self.offset = offset
        super().__init__(num_samples)

    def _own_shuffled(self):
        return self.shuffle

    def is_sharded(self):
        if self.child_sampler is not None:
            return self.child_sampler.is_sharded()
        return self.num_shards > 1

    def set_offset(self, offset):
        """Set the shard the first row goes to (used when concatenating datasets)."""
        self.offset = offset
        return self

    def _own_ids(self, num_rows, pass_id, seed, source):
        if num_rows == 0:
            return numpy.zeros(0, dtype=numpy.int64)
        order = numpy.arange(num_rows, dtype=numpy.int64)
        if self.shuffle:
            # shards must agree on the permutation, so the seed is config's (5489 unless set),
            # never fresh entropy
            order = _generator(config.get_seed(), _SALT_DISTRIBUTED, pass_id).permutation(num_rows)
        first = self.shard_id
        if self.offset > 0:
            first = (self.shard_id - self.offset) % self.num_shards
        positions = numpy.arange(first, first + self.num_shards * self._per_shard(num_rows),
                                 self.num_shards) % num_rows
        return _cap(order[positions].astype(numpy.int64), self.num_samples)

    def _per_shard(self, num_rows):
        return -(-num_rows // self.num_shards)

    def _own_count(self, num_rows):
        if num_rows == 0:
            return 0
        count = self._per_shard(num_rows)
        if self.num_samples:
            return min(count, self.num_samples)
        return count


class SubsetRandomSampler(BuiltinSampler):
    """The given indices in a random order (new each epoch)."""

    def __init__(self, indices, num_samples=None):
        self.indices = _check_indices("SubsetRandomSampler", indices)
        _check_num_samples("SubsetRandomSampler", num_samples)
        super().__init__(num_samples)

    def _own_shuffled(self):
        return True

    def _own_ids(self, num_rows, pass_id, seed, source):
        ids = numpy.asarray(self.indices, dtype=numpy.int64)
        _check_range("SubsetRandomSampler", ids, num_rows)
        ids = ids[_generator(seed, _SALT_SUBSET, pass_id).permutation(len(ids))]
        return _cap(ids, self.num_samples)

    def _own_count(self, num_rows):
        if self.num_samples:
            return min(len(self.indices), self.num_samples)
        return len(self.indices)


class SubsetSampler(BuiltinSampler):
    """The given indices, in the given order."""

    def __init__(self, indices, num_samples=None):
        self.indices = _check_indices("SubsetSampler", indices)
        _check_num_samples("SubsetSampler", num_samples)
        super().__init__(num_samples)

    def _own_ids(self, num_rows, pass_id, seed, source):
        ids = numpy.asarray(self.indices, dtype=numpy.int64)
        _check_range("SubsetSampler", ids, num_rows)
        return _cap(ids, self.num_samples)

    def _own_count(self, num_rows):
        if self.num_samples:
            return min(len(self.indices), self.num_samples)
        return len(self.indices)


def _check_indices(owner, indices):
    """indices: a list/tuple/array of ints, as a list."""
    if isinstance(indices, int) and not isinstance(indices, bool):
        indices = [indices]
    if not isinstance(indices, (list, tuple, numpy.ndarray)):
        raise TypeError(f"{owner}: 'indices' must be a list, tuple or numpy array of int, "
                        f"got {type(indices).__name__}")
    values = []
    for item in indices:
        if isinstance(item, bool) or not isinstance(item, (int, numpy.integer)):
            raise TypeError(f"{owner}: 'indices' must hold ints, got {type(item).__name__}")
        values.append(int(item))
    return values


class WeightedRandomSampler(BuiltinSampler):
    """num_samples rows drawn with probabilities proportional to weights (index i has weights[i])."""

    def __init__(self, weights, num_samples=None, replacement=True):
        if not isinstance(weights, (list, tuple, numpy.ndarray)):
            raise TypeError(f"WeightedRandomSampler: 'weights' must be a list of numbers, got {type(weights).__name__}")
        weights = [float(w) for w in weights]
        if not weights:
            raise ValueError("WeightedRandomSampler: 'weights' must not be empty")
        if any(w < 0 for w in weights):
            raise ValueError("WeightedRandomSampler: 'weights' must not be negative")
        if sum(weights) == 0:
            raise ValueError("WeightedRandomSampler: 'weights' must not all be zero")
        _check_num_samples("WeightedRandomSampler", num_samples)
        _check_bool("WeightedRandomSampler", "replacement", replacement)
        if num_samples is not None and num_samples == 0:
            raise ValueError("WeightedRandomSampler: 'num_samples' must be positive, got 0")
        self.weights = weights
        self.replacement = replacement
        super().__init__(num_samples)

    def _own_shuffled(self):
        return True

    def _own_ids(self, num_rows, pass_id, seed, source):
        weights = numpy.asarray(self.weights[:num_rows], dtype=numpy.float64)
        count = self.num_samples if self.num_samples else len(self.weights)
        generator = _generator(seed, _SALT_WEIGHTED, pass_id)
        if not self.replacement:
            count = min(count, int(numpy.count_nonzero(weights)))
        return generator.choice(len(weights), size=count, replace=self.replacement,
                                p=weights / weights.sum()).astype(numpy.int64)

    def _own_count(self, num_rows):
        count = self.num_samples if self.num_samples else len(self.weights)
        if not self.replacement:
            count = min(count, int(numpy.count_nonzero(self.weights[:num_rows])))
        return count


class PKSampler(BuiltinSampler):
    """num_val rows of every class (the class_column's value), classes in sorted order (or shuffled);
    a class with fewer rows repeats its rows."""

    def __init__(self, num_val, num_class=None, shuffle=False, class_column="label", num_samples=None):
        if not isinstance(num_val, int) or isinstance(num_val, bool):
            raise TypeError(f"PKSampler: 'num_val' must be an int, got {type(num_val).__name__}")
        if num_val <= 0:
            raise RuntimeError(f"PKSampler: 'num_val' must be positive, got {num_val}")
        if num_class is not None:
            raise NotImplementedError("PKSampler: 'num_class' cannot be specified")
        _check_bool("PKSampler", "shuffle", shuffle)
        if not isinstance(class_column, str):
            raise TypeError(f"PKSampler: 'class_column' must be a str, got {type(class_column).__name__}")
        _check_num_samples("PKSampler", num_samples)
        self.num_val = num_val
        self.shuffle = shuffle
        self.class_column = class_column
        super().__init__(num_samples)

    def _own_shuffled(self):
        return self.shuffle

    def _labels(self, num_rows, source):
        if source is None:
            raise RuntimeError("PKSampler: this dataset has no random-access source to read classes from")
        names = list(getattr(source, "column_names", []))
        column = names.index(self.class_column) if self.class_column in names else len(names) - 1
        return [numpy.asarray(source[i][column]).item() for i in range(num_rows)]

    def _own_ids(self, num_rows, pass_id, seed, source):
        labels = self._labels(num_rows, source)
        classes = {}
        for index, label in enumerate(labels):
            classes.setdefault(label, []).append(index)
        order = sorted(classes)
        generator = _generator(seed, _SALT_PK, pass_id)
        if self.shuffle:
            order = [order[i] for i in generator.permutation(len(order))]
        ids = []
        for label in order:
            members = classes[label]
            if self.shuffle:
                members = [members[i] for i in generator.permutation(len(members))]
            ids.extend(members[i % len(members)] for i in range(self.num_val))
        return _cap(numpy.asarray(ids, dtype=numpy.int64), self.num_samples)

    def _own_count(self, num_rows):
        raise NotImplementedError  # needs the labels: the engine counts by sampling


def _is_shuffle_enum(value):
    return type(value).__name__ == "Shuffle"


def _shuffle_is_on(value):
    """A bool or a Shuffle member as a bool (any Shuffle but FALSE shuffles rows)."""
    if _is_shuffle_enum(value):
        return value.value != "false"
    return bool(value)


def select_sampler(num_samples, input_sampler, shuffle, num_shards, shard_id):
    """The sampler of a mappable source from its arguments, as MindSpore chooses it."""
    if input_sampler is not None:
        if isinstance(input_sampler, BuiltinSampler):
            return input_sampler
        if isinstance(input_sampler, (numpy.ndarray, list, tuple)):
            return SubsetSampler(input_sampler, num_samples)
        if isinstance(input_sampler, int) and not isinstance(input_sampler, bool):
            return SubsetSampler([input_sampler])
        if not isinstance(input_sampler, str) and hasattr(input_sampler, "__iter__"):
            return IterSampler(input_sampler, num_samples)
        raise TypeError(f"sampler: unsupported sampler object of type {type(input_sampler).__name__}")
    shuffled = True if shuffle is None else _shuffle_is_on(shuffle)
    if shuffled:
        if num_shards is not None:
            return DistributedSampler(num_shards, shard_id, shuffle=True, num_samples=num_samples)
        if num_samples is not None:
            return RandomSampler(replacement=True, num_samples=num_samples)
        return RandomSampler(num_samples=num_samples)
    if num_shards is not None:
        return DistributedSampler(num_shards, shard_id, shuffle=False, num_samples=num_samples)
    return SequentialSampler(num_samples=num_samples)
