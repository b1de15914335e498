"""Request handlers of the console, one module per page group; routes.py wires them."""
