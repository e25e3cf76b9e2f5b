"""The machine and the interpreters: facts about them, the capacity probe, --python specs."""
