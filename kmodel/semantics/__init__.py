"""Pure functions that mirror upstream Kubernetes code exactly.

Every function names, in its docstring, the upstream function it mirrors.
"""
