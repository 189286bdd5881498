"""Testing helpers: a pytest plugin wiring aiospaces clients to the emulator.

The plugin lives in [aiospaces.testing.plugin][aiospaces.testing.plugin] and is registered
through the ``pytest11`` entry point, so installing aiospaces is enough to get its fixtures.
"""

__all__: list[str] = []
