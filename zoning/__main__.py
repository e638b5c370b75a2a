"""``python -m zoning``: the ``zoning`` command."""

import sys

from zoning.cli import main

sys.exit(main())
