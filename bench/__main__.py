"""`python -m bench`: see bench/commands/."""

import sys

from bench.commands.main import main

sys.exit(main())
