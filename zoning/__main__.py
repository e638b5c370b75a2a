"""``python -m zoning``: the ``zoning`` command."""

import sys

try:
    from zoning.cli import main
except KeyboardInterrupt:  # Ctrl-C while the engine's libraries load
    print("interrupted (Ctrl-C)", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
