"""Screen text: text readers (OCR) that turn a frame into lines of text with their boxes."""

from perception.ocr.base import TextLine, TextReader
from perception.ocr.registry import create_text_reader, list_text_readers, register_text_reader

__all__ = ["TextLine", "TextReader", "create_text_reader", "list_text_readers", "register_text_reader"]
