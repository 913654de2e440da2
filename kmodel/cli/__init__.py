"""The ``kmodel`` command line."""
