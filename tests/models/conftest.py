"""Fixtures for the API backend tests: the fake API server and cassettes (see tests/fakeapi.py)."""

from tests.fakeapi import cassette, fake_api, fake_api_server

__all__ = ["cassette", "fake_api", "fake_api_server"]
