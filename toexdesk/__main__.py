"""``python -m toexdesk`` / ``toexdesk``: a command (``toexdesk info WS``…) runs the command
line; no command starts the app."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    # In the one-file executable a text-extraction child re-runs the executable: this
    # turns it into the child (and does nothing anywhere else). It must come first.
    import multiprocessing

    multiprocessing.freeze_support()
    args = list(sys.argv[1:] if argv is None else argv)
    from toexdesk import cli

    if args and (args[0] in cli.COMMANDS or args[0] in ("-h", "--help", "--version")):
        return cli.main(args)
    from toexdesk import app

    return app.main(args)


if __name__ == "__main__":
    sys.exit(main())
