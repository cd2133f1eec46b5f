"""Test vectors shared by the Python and JavaScript implementations (regenerate with ``python -m sync.vectors``)."""
