"""Tests of hybridinv.reward."""
