"""Entry script of the frozen executable (``build/toexdesk.spec``): exactly
``python -m toexdesk``.

``toexdesk.__main__.main()`` calls ``multiprocessing.freeze_support()`` before anything else,
so a text-extraction child (the executable run again by multiprocessing's "spawn") becomes
that child instead of starting a second app. Nothing may be imported or run here before it.
"""

import sys

from toexdesk.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
