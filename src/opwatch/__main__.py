"""``python -m opwatch`` runs the command line."""

from opwatch.cli import main

main()
