"""(being written: see issue 5)"""
__all__ = []
