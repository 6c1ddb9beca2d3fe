"""The fleet replay generator: real shared kernel lines on an invented fleet schedule (see README.md)."""
