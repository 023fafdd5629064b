"""Entry point: ``python -m local_api --port 3000``."""

import sys

from local_api.server import main

sys.exit(main())
