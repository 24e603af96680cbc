"""The fixed set of file types that capture recognises, each with the words a person sees."""

from __future__ import annotations

from enum import StrEnum


class FileType(StrEnum):
    """A type code as stored on an attachment. The value is the code, ``label`` the display
    text. Codes are stable: they are written to workspaces."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    CSV = "csv"
    TXT = "txt"
    EML = "eml"
    MSG = "msg"
    HTML = "html"
    MHT = "mht"
    PNG = "png"
    JPEG = "jpeg"
    OLE = "ole"
    ZIP = "zip"
    EMPTY = "empty"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def extractable(self) -> bool:
        """True when extraction reads text (or, for images, the picture size) from it."""
        return self not in _NOT_EXTRACTABLE


_LABELS = {
    FileType.PDF: "PDF document",
    FileType.DOCX: "Word document (DOCX)",
    FileType.XLSX: "Excel workbook (XLSX)",
    FileType.CSV: "CSV table",
    FileType.TXT: "Plain text",
    FileType.EML: "E-mail (EML)",
    FileType.MSG: "Outlook message (MSG)",
    FileType.HTML: "Web page (HTML)",
    FileType.MHT: "Saved web page (MHT)",
    FileType.PNG: "PNG image",
    FileType.JPEG: "JPEG image",
    FileType.OLE: "Older Office file (OLE compound file)",
    FileType.ZIP: "ZIP archive",
    FileType.EMPTY: "Empty file",
    FileType.UNKNOWN: "Unknown type",
}

_NOT_EXTRACTABLE = {FileType.OLE, FileType.ZIP, FileType.EMPTY, FileType.UNKNOWN}

# What a file name's extension claims, used only to explain a mismatch to the user (and to
# break the CSV/TXT tie): the content decides the type.
EXTENSION_CLAIMS = {
    ".pdf": FileType.PDF,
    ".docx": FileType.DOCX,
    ".docm": FileType.DOCX,
    ".xlsx": FileType.XLSX,
    ".xlsm": FileType.XLSX,
    ".csv": FileType.CSV,
    ".txt": FileType.TXT,
    ".log": FileType.TXT,
    ".eml": FileType.EML,
    ".msg": FileType.MSG,
    ".htm": FileType.HTML,
    ".html": FileType.HTML,
    ".xhtml": FileType.HTML,
    ".mht": FileType.MHT,
    ".mhtml": FileType.MHT,
    ".png": FileType.PNG,
    ".jpg": FileType.JPEG,
    ".jpeg": FileType.JPEG,
    ".doc": FileType.OLE,
    ".xls": FileType.OLE,
    ".zip": FileType.ZIP,
}


def claimed_type(name: str) -> FileType | None:
    """The type a file name's extension claims, or None."""
    dot = name.rfind(".")
    return EXTENSION_CLAIMS.get(name[dot:].lower()) if dot >= 0 else None
