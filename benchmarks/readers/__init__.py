"""Readers and converters of the public benchmark sets into the Problem contract."""
