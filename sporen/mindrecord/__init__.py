"""sporen.mindrecord: MindSpore's mindspore.mindrecord — FileWriter and FileReader for MindRecord files."""
from .filewriter import FileWriter, SUCCESS, FAILED
from .filereader import FileReader

__all__ = ["FileWriter", "FileReader", "SUCCESS", "FAILED"]
