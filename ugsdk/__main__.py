"""``python -m ugsdk``: the same as the ``ugsdk`` command."""

import sys

from .cli import main

sys.exit(main())
