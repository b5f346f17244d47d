"""Cell containers: SequentialCell, CellList and CellDict (MindSpore's ``nn`` containers)."""
from collections import OrderedDict

from ..cell import Cell

__all__ = ["SequentialCell", "CellList", "CellDict"]


def _check_cell(owner, cell, what="cell"):
    if not isinstance(cell, Cell):
        raise TypeError(f"{owner}: each {what} must be a Cell, got {type(cell).__name__}")
    return cell


def _rename_subtree(cell, old_prefix, new_prefix):
    """Move a child's parameter names and prefixes from ``old_prefix`` to ``new_prefix``."""
    for _, c in cell.cells_and_names():
        if c._param_prefix.startswith(old_prefix):
            object.__setattr__(c, "_param_prefix", new_prefix + c._param_prefix[len(old_prefix):])
    for _, p in cell.parameters_and_names():
        if p.name.startswith(old_prefix):
            p.name = new_prefix + p.name[len(old_prefix):]


class _IndexedCells(Cell):
    """Shared logic of SequentialCell and CellList: children keyed "0", "1", ..."""

    def _normalize_index(self, index):
        n = len(self._cells)
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"{type(self).__name__}: index must be an int or a slice, got "
                            f"{type(index).__name__}")
        if index < -n or index >= n:
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for {n} cells")
        return index % n

    def _keys(self):
        return list(self._cells.keys())

    def _set_children(self, cells):
        """Re-key the children as "0".."n-1", renaming their parameters to match."""
        base = self._param_prefix
        old = list(self._cells.items())
        keep = {id(c): k for k, c in old}
        numbered = all(k.isdigit() for k, _ in old)
        self._cells.clear()
        for i, cell in enumerate(cells):
            key = str(i)
            if id(cell) in keep and not numbered:
                self._cells[keep[id(cell)]] = cell
            elif id(cell) in keep:
                if self._auto_prefix and keep[id(cell)] != key:
                    _rename_subtree(cell, base + keep[id(cell)] + ".", base + key + ".")
                self._cells[key] = cell
            else:
                self.insert_child_to_cell(key, cell)

    def __len__(self):
        return len(self._cells)

    def __iter__(self):
        return iter(self._cells.values())

    def __delitem__(self, index):
        cells = list(self._cells.values())
        if isinstance(index, slice):
            del cells[index]
        else:
            del cells[self._normalize_index(index)]
        self._set_children(cells)

    def __setitem__(self, index, cell):
        _check_cell(type(self).__name__, cell)
        key = self._keys()[self._normalize_index(index)]
        # an existing key keeps its position in the OrderedDict
        self.insert_child_to_cell(key, cell)

    def insert(self, index, cell):
        """Insert ``cell`` before position ``index``."""
        _check_cell(type(self).__name__, cell)
        cells = list(self._cells.values())
        n = len(cells)
        if isinstance(index, bool) or not isinstance(index, int) or index < -n - 1 or index > n:
            raise IndexError(f"{type(self).__name__}.insert: index {index!r} is out of range for {n} cells")
        if index < 0:
            index = max(0, n + index)
        cells.insert(index, cell)
        self._set_children(cells)

    def append(self, cell):
        """Add ``cell`` at the end."""
        _check_cell(type(self).__name__, cell)
        self.insert_child_to_cell(str(len(self._cells)), cell)
        return self

    def extend(self, cells):
        """Append every cell of an iterable."""
        if not hasattr(cells, "__iter__") or isinstance(cells, Cell) and not isinstance(cells, _IndexedCells):
            raise TypeError(f"{type(self).__name__}.extend: 'cells' must be an iterable of Cells, got "
                            f"{type(cells).__name__}")
        for cell in list(cells):
            self.append(cell)
        return self


class SequentialCell(_IndexedCells):
    """Cells run one after another: ``SequentialCell([a, b])(x) == b(a(x))``.

    Takes cells as arguments, one list of cells, or one OrderedDict from names to cells (the
    names then prefix the parameters, e.g. ``conv.weight``; otherwise ``0.weight``).
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, cell in args[0].items():
                _check_cell("SequentialCell", cell)
                self.insert_child_to_cell(name, cell)
        elif len(args) == 1 and isinstance(args[0], (list, tuple)):
            for i, cell in enumerate(args[0]):
                _check_cell("SequentialCell", cell)
                self.insert_child_to_cell(str(i), cell)
        else:
            for i, cell in enumerate(args):
                if isinstance(cell, (list, OrderedDict)):
                    raise TypeError("SequentialCell: a list or OrderedDict of cells must be the only "
                                    "argument")
                _check_cell("SequentialCell", cell)
                self.insert_child_to_cell(str(i), cell)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return SequentialCell(list(self._cells.values())[index])
        return list(self._cells.values())[self._normalize_index(index)]

    def construct(self, input_data):
        for cell in self._cells.values():
            input_data = cell(input_data)
        return input_data


class CellList(_IndexedCells):
    """A list of cells whose parameters belong to the owner (``layers.0.weight``). Not callable."""

    def __init__(self, *args, **kwargs):
        auto_prefix = kwargs.pop("auto_prefix", True)
        if kwargs:
            raise TypeError(f"CellList: unexpected keyword arguments {sorted(kwargs)}")
        super().__init__(auto_prefix=auto_prefix)
        if len(args) > 1:
            raise TypeError(f"CellList: takes one iterable of cells, got {len(args)} arguments")
        if args and args[0] is not None:
            self.extend(args[0])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return CellList(list(self._cells.values())[index])
        return list(self._cells.values())[self._normalize_index(index)]

    def __iadd__(self, cells):
        self.extend(cells)
        return self

    def construct(self, *inputs):
        raise NotImplementedError("CellList is not callable; iterate over it in construct")


class CellDict(Cell):
    """An ordered dict of named cells whose parameters belong to the owner (``blocks.conv.weight``)."""

    def __init__(self, *args, **kwargs):
        auto_prefix = kwargs.pop("auto_prefix", True)
        if kwargs:
            raise TypeError(f"CellDict: unexpected keyword arguments {sorted(kwargs)}")
        super().__init__(auto_prefix=auto_prefix)
        if len(args) > 1:
            raise TypeError(f"CellDict: takes one dict or iterable of (key, cell) pairs, got {len(args)} "
                            f"arguments")
        if args and args[0] is not None:
            self.update(args[0])

    @staticmethod
    def _check_key(key):
        if not isinstance(key, str):
            raise TypeError(f"CellDict: keys must be str, got {type(key).__name__}")
        if not key or "." in key:
            raise KeyError(f"CellDict: a key must be a non-empty str without '.', got {key!r}")
        return key

    def __getitem__(self, key):
        return self._cells[key]

    def __setitem__(self, key, cell):
        _check_cell("CellDict", cell)
        self.insert_child_to_cell(self._check_key(key), cell)

    def __delitem__(self, key):
        del self._cells[key]

    def __len__(self):
        return len(self._cells)

    def __iter__(self):
        return iter(self._cells)

    def __contains__(self, key):
        return key in self._cells

    def clear(self):
        """Remove every cell."""
        self._cells.clear()

    def pop(self, key):
        """Remove the cell under ``key`` and return it."""
        cell = self._cells[key]
        del self._cells[key]
        return cell

    def keys(self):
        return self._cells.keys()

    def values(self):
        return self._cells.values()

    def items(self):
        return self._cells.items()

    def update(self, cells):
        """Add cells from a dict, a CellDict or an iterable of (key, cell) pairs."""
        if isinstance(cells, (dict, CellDict)):
            pairs = list(cells.items())
        else:
            pairs = []
            for i, item in enumerate(cells):
                if not isinstance(item, (tuple, list)) or len(item) != 2:
                    raise ValueError(f"CellDict.update: element {i} must be a (key, cell) pair, got {item!r}")
                pairs.append(tuple(item))
        for key, cell in pairs:
            self[key] = cell

    def construct(self, *inputs):
        raise NotImplementedError("CellDict is not callable; look cells up in construct")
