"""The PySide6 user interface. It talks to the core through services only."""
