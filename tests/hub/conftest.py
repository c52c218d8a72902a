"""The tiny trained models the Hub tests push (shared with the training tests)."""

from tests.training.conftest import tiny_decoder  # noqa: F401  (a pytest fixture)
