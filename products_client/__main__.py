"""Entry point: ``python -m products_client`` (same as the ``products`` command)."""

import sys

from products_client.cli import main

sys.exit(main())
