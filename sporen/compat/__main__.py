"""``python -m sporen.compat script.py [args]`` (or ``-m module [args]``): run a MindSpore program on sporen."""
import os
import runpy
import sys

from . import install

_USAGE = "usage: python -m sporen.compat script.py [args...]  |  python -m sporen.compat -m module [args...]"


def main(argv=None):
    """Install the MindSpore finder, then run the script as ``__main__`` with its own argv."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE)
        return 0 if argv else 2
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(_USAGE, file=sys.stderr)
            return 2
        sys.argv = argv[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.exists(script):
        print(f"sporen.compat: cannot open '{script}': no such file", file=sys.stderr)
        return 2
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
