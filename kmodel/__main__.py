"""``python -m kmodel`` runs the command line."""

from kmodel.cli.main import main

main()
