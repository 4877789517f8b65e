"""Qt only: widgets wired to the Qt-free core."""
