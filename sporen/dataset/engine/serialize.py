"""serialize / deserialize / show / compare: a pipeline as a JSON tree and back.

Every Dataset records the arguments it was built with; a node of the tree is
{"op_type", "op_module", "args", "kwargs", "children", "num_parallel_workers"} where a child
dataset among the arguments is {"__child__": index}, a numpy array {"__ndarray__": values,
"dtype": name}, and a value JSON cannot hold (a transform object, a function) is pickled
({"__pickle__": base64}). Lambdas and local functions cannot be pickled: such a pipeline is
serialized with a clear error. deserialize unpickles: read only files you wrote yourself.
"""
import base64
import importlib
import json
import pickle

import numpy

__all__ = ["serialize", "deserialize", "show", "compare"]


def _encode(value, children):
    from .datasets import Dataset
    if isinstance(value, Dataset):
        children.append(value)
        return {"__child__": len(children) - 1}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        encoded = [_encode(item, children) for item in value]
        return encoded if isinstance(value, list) else {"__tuple__": encoded}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"__dict__": {key: _encode(item, children) for key, item in value.items()}}
    if isinstance(value, numpy.ndarray) and value.dtype.kind in "biufUS":
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    try:
        data = pickle.dumps(value)
    except Exception as error:
        raise RuntimeError(f"serialize: cannot serialize {value!r} ({error}); lambdas and local functions "
                           f"cannot be saved, use module-level functions or transform objects") from None
    return {"__pickle__": base64.b64encode(data).decode("ascii")}


def _decode(value, children):
    if isinstance(value, list):
        return [_decode(item, children) for item in value]
    if not isinstance(value, dict):
        return value
    if "__child__" in value:
        return children[value["__child__"]]
    if "__tuple__" in value:
        return tuple(_decode(item, children) for item in value["__tuple__"])
    if "__dict__" in value:
        return {key: _decode(item, children) for key, item in value["__dict__"].items()}
    if "__ndarray__" in value:
        return numpy.asarray(value["__ndarray__"], dtype=numpy.dtype(value["dtype"]))
    if "__pickle__" in value:
        return pickle.loads(base64.b64decode(value["__pickle__"]))
    return value


def node_dict(dataset):
    """The tree of one pipeline node and its children."""
    recorded = getattr(dataset, "_init_args", None)
    if recorded is None:
        raise RuntimeError(f"serialize: {type(dataset).__name__} was not built from recorded arguments "
                           f"(split parts and copies cannot be serialized)")
    cls, args, kwargs = recorded
    children = []
    encoded_args = [_encode(value, children) for value in args]
    encoded_kwargs = {key: _encode(value, children) for key, value in kwargs.items()}
    entry = {"op_type": cls.__name__, "op_module": cls.__module__, "args": encoded_args, "kwargs": encoded_kwargs,
             "children": [node_dict(child) for child in children]}
    if dataset.num_parallel_workers is not None:
        entry["num_parallel_workers"] = dataset.num_parallel_workers
    if getattr(dataset, "_prefetch_size", None):
        entry["prefetch_size"] = dataset._prefetch_size
    return entry


def build(entry):
    """A pipeline node from its tree (children first)."""
    children = [build(child) for child in entry.get("children", [])]
    module = importlib.import_module(entry["op_module"])
    cls = getattr(module, entry["op_type"])
    args = [_decode(value, children) for value in entry.get("args", [])]
    kwargs = {key: _decode(value, children) for key, value in entry.get("kwargs", {}).items()}
    dataset = cls(*args, **kwargs)
    if entry.get("num_parallel_workers") is not None:
        dataset.num_parallel_workers = int(entry["num_parallel_workers"])
    if entry.get("prefetch_size"):
        dataset._prefetch_size = int(entry["prefetch_size"])
    return dataset


def serialize(dataset, json_filepath=""):
    """The pipeline ending at dataset as a dict; also written to json_filepath if one is given."""
    tree = node_dict(dataset)
    if json_filepath:
        write_json_atomic(json_filepath, tree)
    return tree


def write_json_atomic(path, content):
    """Write content as JSON to path through a temporary file and a rename: a reader (or a crash)
    sees the old file or the new one, never half of one."""
    from ...train.serialization import _write_atomic
    _write_atomic(path, [json.dumps(content, indent=2).encode("utf-8")], False)


def deserialize(input_dict=None, json_filepath=None):
    """The pipeline a serialize() dict or JSON file describes (an AutoTune file too: its "tree")."""
    if input_dict is None and json_filepath is None:
        raise ValueError("deserialize: one of 'input_dict' and 'json_filepath' must be given")
    if json_filepath is not None:
        with open(json_filepath, encoding="utf-8") as handle:
            input_dict = json.load(handle)
    if not isinstance(input_dict, dict):
        raise TypeError(f"deserialize: 'input_dict' must be a dict, got {type(input_dict).__name__}")
    if "op_type" not in input_dict and isinstance(input_dict.get("tree"), dict):
        input_dict = input_dict["tree"]
    if "op_module" not in input_dict:
        raise RuntimeError("deserialize: this file holds no serialized pipeline (an AutoTune file of a pipeline "
                           "with lambdas keeps only the tuned settings)")
    return build(input_dict)


def show(dataset, indentation=2):
    """Print the pipeline's serialized tree (indentation None: one line)."""
    print(json.dumps(serialize(dataset), indent=indentation))


def compare(pipeline1, pipeline2):
    """Whether two pipelines serialize to the same tree."""
    return serialize(pipeline1) == serialize(pipeline2)
