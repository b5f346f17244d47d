"""sporen.dataset's engine: the Dataset classes, their operations, the pipeline runtime, iterators."""
from .datasets import Dataset, MappableDataset, NumpySlicesDataset, GeneratorDataset, Shuffle, Schema
from .iterators import TupleIterator, DictIterator
from . import random

__all__ = ["Dataset", "MappableDataset", "NumpySlicesDataset", "GeneratorDataset", "Shuffle", "Schema",
           "TupleIterator", "DictIterator"]
