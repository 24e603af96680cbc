"""The bundled Unicode font every PDF uses for all its text.

reportlab's built-in Helvetica covers Latin-1 only: "Nguyễn Thị Hường", "Łukasz Żółć" or
"Олександр Коваленко" would print with gaps or boxes. DejaVu Sans (licence beside it in
``resources/fonts/``) covers Latin Extended, Vietnamese, Greek and Cyrillic. Each PDF embeds
only the glyphs it uses.
"""

from __future__ import annotations

import io
import threading
from importlib import resources

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
SANS_ITALIC = "DejaVuSans-Oblique"
_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
}
_lock = threading.Lock()  # products are laid out in worker threads
_registered = False


def register_fonts() -> None:
    """Register the font family with reportlab, once per process."""
    global _registered
    with _lock:
        if _registered:
            return
        folder = resources.files("toexdesk.resources") / "fonts"
        for name, file_name in _FILES.items():
            # Read into memory: works the same from a folder, a wheel or the frozen bundle.
            data = (folder / file_name).read_bytes()
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
        # <b> and <i> in this package's own markup pick the right face; there is no bold
        # oblique file (it would add 650 KB to the executable), so bold italic is bold.
        for bold, italic, face in (
            (0, 0, SANS),
            (1, 0, SANS_BOLD),
            (0, 1, SANS_ITALIC),
            (1, 1, SANS_BOLD),
        ):
            addMapping(SANS, bold, italic, face)
        _registered = True
