"""The ``sporen`` command line."""
import argparse
import sys

__all__ = ["main"]


def _demo(args):
    from .demo import train_demo
    acc = train_demo(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed)
    print(f"final test accuracy: {acc * 100:.2f}%")
    return 0


def _info(args):
    import platform

    import numpy as np

    from . import __version__
    print(f"sporen {__version__}")
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    print("backend: numpy (reference)")
    return 0


def main(argv=None):
    """Entry point of the ``sporen`` command."""
    parser = argparse.ArgumentParser(prog="sporen", description="sporen: MindSpore's API, rebuilt in Python")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="train LeNet-5 on the shipped Fashion-MNIST subset")
    demo.add_argument("--epochs", type=int, default=4, help="training epochs (default 4)")
    demo.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    demo.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.set_defaults(func=_demo)
    info = sub.add_parser("info", help="version and backend information")
    info.set_defaults(func=_info)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if getattr(args, "epochs", 1) is not None and getattr(args, "epochs", 1) < 1:
        print("sporen: error: --epochs must be >= 1", file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
