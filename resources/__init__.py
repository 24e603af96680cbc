"""Files TOEX Desk ships beside its code (fonts with their licence, icons).

The top-level ``resources/`` folder is installed as the package ``toexdesk.resources`` (see
``[tool.setuptools]`` in pyproject.toml), so code finds these files the same way from a
source checkout, an installed wheel and the frozen executable::

    importlib.resources.files("toexdesk.resources") / "fonts" / "DejaVuSans.ttf"
"""
