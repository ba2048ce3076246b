"""``python -m pybpfmaps``: the ``pybpfmaps`` command."""

from pybpfmaps.cli import main

raise SystemExit(main())
