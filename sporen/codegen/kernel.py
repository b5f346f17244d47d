"""CKernel: what a lowering gives the cpu backend for one node of a (fused) graph: C source, the C
statement that calls it, and the scratch memory it needs."""

__all__ = ["CKernel"]


class CKernel:
    """A native kernel for one graph node.

    name:      the C function's name, unique within a translation unit (the backend passes one
               in; a lowering may define helpers named ``{name}_...``)
    source:    the C definitions this kernel adds to the translation unit ("" when it only calls
               a shared library kernel)
    call:      ``call(ins, outs, ws) -> str``: the C statement(s) running the node, given C
               expressions (of type ``void *``) for each input's data, each output's data and the
               workspace (None when ``workspace`` is 0). Every array is C-contiguous with the
               node's static shape and dtype. An input that is a Literal is passed too (a pointer
               to its array); a kernel may ignore it and inline the value instead.
    workspace: bytes of scratch memory the kernel needs while it runs (0 for none): the memory
               plan gives it a range of the arena live for this node only, aligned to 64 bytes
    libraries: names of shared C sources (``sporen/codegen/kernels/<name>.c``) the call needs;
               each is included once per translation unit
    """

    __slots__ = ("name", "source", "call", "workspace", "libraries")

    def __init__(self, name, source, call, workspace=0, libraries=()):
        self.name = name
        self.source = source
        self.call = call
        self.workspace = int(workspace)
        self.libraries = tuple(libraries)

    def __repr__(self):
        return f"CKernel({self.name}, workspace={self.workspace}, libraries={list(self.libraries)})"
