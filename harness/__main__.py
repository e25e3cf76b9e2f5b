"""``python -m harness`` -> the CLI."""

from harness.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
