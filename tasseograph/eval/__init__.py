"""The evaluation harness behind ``tasseograph-eval``."""
