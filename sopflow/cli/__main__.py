"""``python -m sopflow.cli``: the engine's CLI without the web app's ``serve``."""

from sopflow.cli import main

raise SystemExit(main())
