"""Argument checks shared by the optimizers and learning-rate schedules, with MindSpore's rules:
a float argument must be a Python float (an int is refused where MindSpore refuses it)."""
import numbers

__all__ = ["check_float", "check_non_negative_float", "check_positive_float", "check_positive_int",
           "check_non_negative_int", "check_bool", "check_open_range", "check_number"]


def _where(cls_name):
    return f"For '{cls_name}', " if cls_name else ""


def check_float(value, name, cls_name=None):
    """A Python float (bools and ints refused)."""
    if isinstance(value, bool) or not isinstance(value, float):
        raise TypeError(f"{_where(cls_name)}the argument '{name}' must be a float, "
                        f"but got {type(value).__name__} ({value!r}).")
    return value


def check_number(value, name, cls_name=None):
    """An int or float (bools refused); returns a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_where(cls_name)}the argument '{name}' must be an int or float, "
                        f"but got {type(value).__name__} ({value!r}).")
    return float(value)


def check_non_negative_float(value, name, cls_name=None):
    check_number(value, name, cls_name)
    if value < 0:
        raise ValueError(f"{_where(cls_name)}the argument '{name}' must be >= 0, but got {value}.")
    return value


def check_positive_float(value, name, cls_name=None):
    check_number(value, name, cls_name)
    if not value > 0:
        raise ValueError(f"{_where(cls_name)}the argument '{name}' must be > 0, but got {value}.")
    return value


def check_positive_int(value, name, cls_name=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{_where(cls_name)}the argument '{name}' must be an int, "
                        f"but got {type(value).__name__} ({value!r}).")
    if value <= 0:
        raise ValueError(f"{_where(cls_name)}the argument '{name}' must be > 0, but got {value}.")
    return int(value)


def check_non_negative_int(value, name, cls_name=None):
    """An int >= 0 (bools refused); MindSpore raises ValueError for both a wrong type and a negative value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{_where(cls_name)}the argument '{name}' must be an int >= 0, but got {value!r}.")
    return int(value)


def check_bool(value, name, cls_name=None):
    if not isinstance(value, bool):
        raise TypeError(f"{_where(cls_name)}the argument '{name}' must be a bool, "
                        f"but got {type(value).__name__} ({value!r}).")
    return value


def check_open_range(value, low, high, name, cls_name=None):
    """A float strictly between low and high."""
    check_float(value, name, cls_name)
    if not low < value < high:
        raise ValueError(f"{_where(cls_name)}the argument '{name}' must be in range ({low}, {high}), "
                         f"but got {value}.")
    return value
