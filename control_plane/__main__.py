"""`python -m control_plane` is the `podgate` command."""

from control_plane.cli import main

raise SystemExit(main())
