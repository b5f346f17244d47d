"""sporen.dataset's engine: the Dataset classes, their operations, the pipeline runtime, iterators."""
from .datasets import Dataset, MappableDataset, NumpySlicesDataset, GeneratorDataset, Shuffle, Schema
from .batch import BatchDataset, BucketBatchByLengthDataset, BatchInfo
from .ops import (MapDataset, FilterDataset, ShuffleDataset, RepeatDataset, ZipDataset, ConcatDataset,
                  ProjectDataset, RenameDataset, TakeDataset, SkipDataset)
from .ops import zip_datasets as zip
from .iterators import TupleIterator, DictIterator
from .generated import PaddedDataset, RandomDataset
from .callbacks import DSCallback, WaitedDSCallback
from .serialize import serialize, deserialize, show, compare
from . import random

__all__ = ["Dataset", "MappableDataset", "NumpySlicesDataset", "GeneratorDataset", "Shuffle", "Schema",
           "BatchDataset", "BucketBatchByLengthDataset", "BatchInfo", "MapDataset", "FilterDataset",
           "ShuffleDataset", "RepeatDataset", "ZipDataset", "ConcatDataset", "ProjectDataset", "RenameDataset",
           "TakeDataset", "SkipDataset", "zip", "TupleIterator", "DictIterator", "PaddedDataset", "RandomDataset",
           "DSCallback", "WaitedDSCallback", "serialize", "deserialize", "show", "compare"]
