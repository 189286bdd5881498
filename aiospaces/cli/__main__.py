"""``python -m aiospaces.cli``: the same as the ``aiospaces`` command."""

from aiospaces.cli import main

main()
