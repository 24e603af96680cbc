"""Research products from the dataclasses of ``services.reports`` (no database access here).

- ``pdf``: ``render_summary_pdf`` and ``render_pack_pdf`` (reportlab platypus), built from
  ``summary`` (one task's flowables), ``pack`` (cover and contents), ``page`` (marking,
  running head and "Page X of Y" on every page; bookmarks; progress and cancel),
  ``styles``, ``fonts`` (the bundled DejaVu Sans) and ``text`` (user text as data).
- ``docx``: the same summary as a Word document (python-docx).

Import the module you need; this package imports nothing, so loading one format never
pays for the other.
"""
