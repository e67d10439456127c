"""Sub-commands of the ``vodguard`` CLI, one module each."""
