"""`python -m bench`: see bench/commands/cli.py."""

import sys

from bench.commands.cli import main

sys.exit(main())
