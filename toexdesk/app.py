"""Starting TOEX Desk without a command.

``--demo`` builds the demo workspace in the app's data folder the first time (fictional data,
public demo passphrase) and opens it. This release has no main window yet: it prints the
workspace summary, and the commands that work on any workspace."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from toexdesk import APP_NAME, __version__


def main(argv: Sequence[str] = ()) -> int:
    from toexdesk import cli, config
    from toexdesk.core import demo

    parser = argparse.ArgumentParser(prog="toexdesk", description=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="build (first time) and open the demo workspace"
    )
    args = parser.parse_args(list(argv))
    if not args.demo:
        cli.build_parser().print_help()
        return cli.EXIT_OK
    path = config.demo_workspace_path()
    # The demo's passphrase is public: the workspace holds fiction only.
    os.environ.setdefault(cli.ENV_PASSPHRASE, demo.DEMO_PASSPHRASE)
    return cli.main(["demo", str(path), "--reuse", "--progress"])
