"""Fixtures for the API backend tests: the fake API server and cassettes (see tests/fakeapi.py)."""

from tests.fakeapi import cassette_fixture, fake_api_fixture, fake_api_server_fixture  # noqa: F401
