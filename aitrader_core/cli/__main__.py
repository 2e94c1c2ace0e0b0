"""``python -m aitrader_core.cli``."""

from aitrader_core.cli import main

main()
