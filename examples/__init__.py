"""Worked examples of extending the model from outside ``sim/`` (see docs/extending.md): a
decision rule in a firm subclass, a pilot with its own financial instrument, a new actor kind.
Each is one module (plus one config) and runs from the command line and from Python."""
