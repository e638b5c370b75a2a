"""``python -m zoning``: the ``zoning`` command."""

import sys

try:
    from zoning.cli import main
except KeyboardInterrupt:  # Ctrl-C while the engine's libraries load
    # the command's one line on the terminal (the logger is not set up before the import)
    sys.stderr.write("interrupted (Ctrl-C)\n")
    sys.exit(130)

sys.exit(main())
