"""TOEX Desk: an offline research workbench over an encrypted workspace."""

__version__ = "0.1.0"
APP_NAME = "TOEX Desk"
