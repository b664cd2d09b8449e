"""``python -m gemini_vision`` runs the command line."""

import sys

from gemini_vision.cli import main

sys.exit(main())
