"""The ``sporen`` command line: demo, train, eval, export, info and cache. Errors are one line on
stderr and exit status 2 (``SPOREN_DEBUG=1`` shows the traceback)."""
import argparse
import importlib
import json
import os
import sys

__all__ = ["main"]

_BUILTIN_MODELS = {"lenet5": "sporen.demo:LeNet5"}
_DATASETS = ("fashion-mnist (shipped)", "mnist:DIR", "fashion-mnist:DIR", "cifar10:DIR", "imagefolder:DIR")
_FOLDER_KINDS = ("mnist", "fashion-mnist", "cifar10", "imagefolder")


class _UsageError(Exception):
    """A mistake in the command line or its config: printed as one line."""


# --- models and data ------------------------------------------------------------------------------
def _model_entry_points():
    """Models registered by installed packages under the entry-point group "sporen.models"."""
    from importlib.metadata import entry_points
    return {ep.name: ep for ep in entry_points(group="sporen.models")}


def _network(spec, num_classes, num_channel=1):
    """A network from a name: a built-in model, one registered under the "sporen.models" entry
    points, or ``package.module:callable``; called with ``num_class`` (and ``num_channel`` when it
    takes one)."""
    if spec in _BUILTIN_MODELS:
        factory = _load(_BUILTIN_MODELS[spec])
    else:
        registered = _model_entry_points()
        if spec in registered:
            factory = registered[spec].load()
        elif ":" in spec:
            factory = _load(spec)
        else:
            known = sorted(set(_BUILTIN_MODELS) | set(registered))
            raise _UsageError(f"unknown model {spec!r}; known models: {', '.join(known)}, or give "
                              f"'package.module:callable'")
    for kwargs in ({"num_class": num_classes, "num_channel": num_channel}, {"num_class": num_classes}, {}):
        try:
            return factory(**kwargs)
        except TypeError:
            continue
    raise _UsageError(f"cannot build model {spec!r}: it takes neither num_class/num_channel nor no arguments")


def _load(spec):
    module_name, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise _UsageError(f"cannot load model {spec!r}: {e}") from None


class _Data:
    """A dataset for the commands: its pipelines of (image NCHW float32, label int32) batches, its
    class count and its channels."""

    def __init__(self, spec):
        self.spec = spec
        kind, sep, folder = spec.partition(":")
        if not sep:
            if spec != "fashion-mnist":
                raise _UsageError(f"unknown dataset {spec!r}; known datasets: {', '.join(_DATASETS)}")
            self.kind, self.folder = "shipped", None
        else:
            if kind not in _FOLDER_KINDS:
                raise _UsageError(f"unknown dataset kind {kind!r} in {spec!r}; known: {', '.join(_DATASETS)}")
            if not os.path.isdir(folder):
                raise _UsageError(f"dataset folder not found: {folder}")
            self.kind, self.folder = kind, folder
        self.channels = 3 if self.kind in ("cifar10", "imagefolder") else 1
        self.num_classes = 10
        if self.kind == "imagefolder":
            self.num_classes = len([d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d))])

    def pipeline(self, split, batch_size, shuffle, seed):
        import numpy as np

        from . import dataset as ds
        from .dataset import transforms, vision
        ds.config.set_seed(seed)
        if self.kind == "shipped":
            from .demo import load_demo_data
            train_x, train_y, test_x, test_y = load_demo_data()
            x, y = (train_x, train_y) if split == "train" else (test_x, test_y)
            data = ds.NumpySlicesDataset({"image": x, "label": y}, shuffle=shuffle)
        else:
            if self.kind == "mnist":
                data = ds.MnistDataset(self.folder, usage=split, shuffle=shuffle)
            elif self.kind == "fashion-mnist":
                data = ds.FashionMnistDataset(self.folder, usage=split, shuffle=shuffle)
            elif self.kind == "cifar10":
                data = ds.Cifar10Dataset(self.folder, usage=split, shuffle=shuffle)
            else:
                data = ds.ImageFolderDataset(self.folder, decode=True, shuffle=shuffle)
            ops = [vision.Resize((32, 32)), vision.Rescale(1.0 / 255.0, 0.0),
                   vision.Normalize([0.5] * self.channels, [0.5] * self.channels), vision.HWC2CHW()]
            data = data.map(operations=ops, input_columns="image", num_parallel_workers=2)
            data = data.map(operations=transforms.TypeCast(np.int32), input_columns="label")
        return data.batch(batch_size, drop_remainder=split == "train")


# --- commands -------------------------------------------------------------------------------------
def _set_mode(mode):
    from . import context
    context.set_context(mode=context.GRAPH_MODE if mode == "graph" else context.PYNATIVE_MODE)


def _train(args):
    from . import nn
    from .context import set_seed
    from .train import Accuracy, CheckpointConfig, LossMonitor, Model, ModelCheckpoint, SummaryCollector
    from .train.callback import ProgressBar
    _set_mode(args.mode)
    set_seed(args.seed)
    data = _Data(args.dataset)
    net = _network(args.model, data.num_classes, data.channels)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=args.lr, momentum=args.momentum)
    model = Model(net, loss, opt, metrics={"accuracy": Accuracy()})
    train_data = data.pipeline("train", args.batch_size, True, args.seed)
    valid_data = data.pipeline("test", 500, False, args.seed)
    callbacks = [ProgressBar()] if not args.quiet else [LossMonitor(100)]
    if args.ckpt_dir:
        config = CheckpointConfig(save_checkpoint_steps=train_data.get_dataset_size(), keep_checkpoint_max=args.keep)
        callbacks.append(ModelCheckpoint(prefix=args.model.replace(":", "_").replace(".", "_"),
                                         directory=args.ckpt_dir, config=config))
    if args.summary_dir:
        callbacks.append(SummaryCollector(args.summary_dir, collect_freq=args.summary_freq))
    print(f"sporen train: {args.model} on {args.dataset} ({train_data.get_dataset_size()} steps an epoch, "
          f"{args.epochs} epochs, {args.mode} mode)")
    model.fit(args.epochs, train_data, valid_data, callbacks=callbacks)
    result = model.eval(valid_data)
    print(f"test accuracy: {result['accuracy'] * 100:.2f}%")
    if args.ckpt_dir:
        print(f"checkpoints: {os.path.abspath(args.ckpt_dir)}")
    if args.summary_dir:
        print(f"summaries: {os.path.abspath(args.summary_dir)} (TensorBoard: tensorboard --logdir "
              f"{args.summary_dir})")
    return 0


def _load_into(net, ckpt):
    from .train import load_checkpoint, load_param_into_net
    if not os.path.isfile(ckpt):
        raise _UsageError(f"checkpoint file not found: {ckpt}")
    load_param_into_net(net, load_checkpoint(ckpt))


def _eval(args):
    from . import nn
    from .train import Accuracy, Loss, Model
    _set_mode(args.mode)
    data = _Data(args.dataset)
    net = _network(args.model, data.num_classes, data.channels)
    _load_into(net, args.ckpt)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    model = Model(net, loss, metrics={"accuracy": Accuracy(), "loss": Loss()})
    result = model.eval(data.pipeline("test", args.batch_size, False, 0))
    print(json.dumps({k: float(v) for k, v in result.items()}))
    return 0


def _export(args):
    import numpy as np

    from .tensor import Tensor
    from .train import export
    shape = tuple(int(s) for s in args.input_shape.split(","))
    net = _network(args.model, args.num_classes, shape[1] if len(shape) == 4 else 1)
    if args.ckpt:
        _load_into(net, args.ckpt)
    export(net, Tensor(np.zeros(shape, np.float32)), file_name=args.output, file_format=args.format)
    print(f"exported {args.model} ({args.format}) to {args.output}")
    return 0


def _demo(args):
    from .demo import train_demo
    acc = train_demo(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed,
                     summary_dir=args.summary_dir)
    print(f"final test accuracy: {acc * 100:.2f}%")
    return 0


def _extras():
    found = {}
    for name in ("PIL", "onnx", "onnxruntime", "yaml", "mpi4py", "cupy", "fastapi", "tensorboard", "torch"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        found[name] = spec is not None
    return found


def _info(args):
    import platform

    import numpy as np

    from . import __version__, context
    from .runtime import blas, cache
    print(f"sporen {__version__}")
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    compiler = cache.compiler()
    print(f"backend: {context.get_context('backend')} (graph mode); "
          f"C compiler: {' '.join(compiler) if compiler else 'none found (the numpy backend is used)'}")
    info = blas.blas()
    print(f"BLAS: {info.path if info else 'not found'}")
    print(f"threads: {os.cpu_count()} cores; generated kernels {blas.kernel_threads()} "
          f"(SPOREN_NUM_THREADS, else BLAS's count); kernel cache {cache.cache_dir()}")
    print("optional packages: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in _extras().items()))
    return 0


def _cache(args):
    from .dataset.cache import cache_main
    return cache_main(args.cache_args)


# --- parsing --------------------------------------------------------------------------------------
def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _parser():
    parser = argparse.ArgumentParser(prog="sporen", description="sporen: MindSpore's API, rebuilt in Python")
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="train LeNet-5 on the shipped Fashion-MNIST subset")
    demo.add_argument("--epochs", type=_positive_int, default=4, help="training epochs (default 4)")
    demo.add_argument("--batch-size", type=_positive_int, default=32, help="batch size (default 32)")
    demo.add_argument("--lr", type=_positive_float, default=0.01, help="learning rate (default 0.01)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--summary-dir", default="./sporen_demo_summary",
                      help="where the run's summaries go (default ./sporen_demo_summary)")
    demo.set_defaults(func=_demo)

    train = sub.add_parser("train", help="train a model by name on a dataset (options or a YAML/JSON config)")
    train.add_argument("model", nargs="?", help="lenet5, a registered zoo model, or package.module:callable")
    train.add_argument("--config", help="a YAML or JSON file whose keys are these options (command-line "
                                        "options override it)")
    train.add_argument("--dataset", default=None, help=f"dataset: {', '.join(_DATASETS)} (default fashion-mnist, "
                                                       f"the subset shipped with sporen)")
    train.add_argument("--epochs", type=_positive_int, default=None, help="epochs (default 4)")
    train.add_argument("--batch-size", type=_positive_int, default=None, help="batch size (default 32)")
    train.add_argument("--lr", type=_positive_float, default=None, help="learning rate (default 0.01)")
    train.add_argument("--momentum", type=float, default=None, help="momentum (default 0.9)")
    train.add_argument("--mode", choices=("graph", "pynative"), default=None, help="execution mode (default graph)")
    train.add_argument("--seed", type=int, default=None, help="random seed (default 1)")
    train.add_argument("--ckpt-dir", default=None, help="save a checkpoint each epoch into this folder")
    train.add_argument("--keep", type=_positive_int, default=None, help="checkpoints kept (default 5)")
    train.add_argument("--summary-dir", default=None, help="write summaries (TensorBoard event files) here")
    train.add_argument("--summary-freq", type=_positive_int, default=None, help="steps between summaries (10)")
    train.add_argument("--quiet", action="store_true", help="a loss line every 100 steps instead of a progress bar")
    train.set_defaults(func=_train)

    ev = sub.add_parser("eval", help="evaluate a checkpoint on a dataset's test split")
    ev.add_argument("model", help="lenet5, a registered zoo model, or package.module:callable")
    ev.add_argument("--ckpt", required=True, help="the checkpoint file (.ckpt)")
    ev.add_argument("--dataset", default="fashion-mnist", help=f"dataset: {', '.join(_DATASETS)} (default "
                                                             f"fashion-mnist, shipped)")
    ev.add_argument("--batch-size", type=_positive_int, default=500, help="batch size (default 500)")
    ev.add_argument("--mode", choices=("graph", "pynative"), default="graph", help="execution mode (default graph)")
    ev.set_defaults(func=_eval)

    ex = sub.add_parser("export", help="export a model (and its checkpoint) to ONNX or MINDIR")
    ex.add_argument("model", help="lenet5, a registered zoo model, or package.module:callable")
    ex.add_argument("--ckpt", default=None, help="load these parameters first")
    ex.add_argument("--format", choices=("ONNX", "MINDIR"), default="MINDIR", help="file format (default MINDIR)")
    ex.add_argument("--input-shape", default="1,1,32,32", help="the input's shape, e.g. 1,1,32,32")
    ex.add_argument("--num-classes", type=_positive_int, default=10, help="the model's classes (default 10)")
    ex.add_argument("--output", required=True, help="the output file")
    ex.set_defaults(func=_export)

    info = sub.add_parser("info", help="version, backend, compiler, threads and optional packages")
    info.set_defaults(func=_info)

    cache = sub.add_parser("cache", help="the dataset cache server: start, stop, status (see sporen cache --help)",
                           add_help=False)
    cache.add_argument("cache_args", nargs=argparse.REMAINDER)
    cache.set_defaults(func=_cache)
    return parser


_TRAIN_DEFAULTS = {"dataset": "fashion-mnist", "epochs": 4, "batch_size": 32, "lr": 0.01, "momentum": 0.9,
                   "mode": "graph", "seed": 1, "ckpt_dir": None, "keep": 5, "summary_dir": None, "summary_freq": 10,
                   "model": None}


def _read_config(path):
    if not os.path.isfile(path):
        raise _UsageError(f"config file not found: {path}")
    with open(path) as f:
        text = f.read()
    if path.endswith(".json"):
        values = json.loads(text)
    else:
        try:
            import yaml
        except ImportError:
            raise _UsageError("reading a YAML config needs PyYAML (pip install pyyaml); or give a .json file") from None
        values = yaml.safe_load(text)
    if not isinstance(values, dict):
        raise _UsageError(f"config {path}: expected a mapping of option: value, got {type(values).__name__}")
    options = {}
    for key, value in values.items():
        name = str(key).replace("-", "_")
        if name not in _TRAIN_DEFAULTS:
            raise _UsageError(f"config {path}: unknown option {key!r}; known: "
                              f"{', '.join(sorted(k.replace('_', '-') for k in _TRAIN_DEFAULTS))}")
        options[name] = value
    return options


def _resolve_train_options(args):
    merged = dict(_TRAIN_DEFAULTS)
    if args.config:
        merged.update(_read_config(args.config))
    for key in _TRAIN_DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            merged[key] = value
    if not merged["model"]:
        raise _UsageError("give a model name (e.g. 'sporen train lenet5') or 'model' in --config")
    for key in ("epochs", "batch_size", "keep", "summary_freq"):
        if isinstance(merged[key], bool) or not isinstance(merged[key], int) or merged[key] < 1:
            raise _UsageError(f"'{key.replace('_', '-')}' must be an int >= 1, got {merged[key]!r}")
    if merged["mode"] not in ("graph", "pynative"):
        raise _UsageError(f"'mode' must be graph or pynative, got {merged['mode']!r}")
    for key, value in merged.items():
        setattr(args, key, value)


def main(argv=None):
    """Entry point of the ``sporen`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["cache"]:  # its own parser (sporen cache --help lists its commands)
        from .dataset.cache import cache_main
        return cache_main(argv[1:])
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse printed its one-line error or the help
        return e.code if isinstance(e.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        if args.func is _train:
            _resolve_train_options(args)
        return args.func(args)
    except KeyboardInterrupt:
        print("sporen: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the command line shows one line, not a traceback
        if os.environ.get("SPOREN_DEBUG"):
            raise
        kind = "" if isinstance(e, _UsageError) else f"{type(e).__name__}: "
        print(f"sporen {args.command}: error: {kind}{e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
