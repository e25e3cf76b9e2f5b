"""History across commits: every commit's sweep in a database, its steps, and the commit that caused each.

The layer above everything it reuses (results, compare and its ``ab`` worktrees and rounds,
report's page plumbing), below the command line (``harness history``, in harness/cli/history*.py):

* :mod:`.records`, :mod:`.schema`, :mod:`.database`, :mod:`.store`: the store (SQLite or PostgreSQL);
* :mod:`.ingest`, :mod:`.commits`: results.json files and the commits they are filed under;
* :mod:`.series`, :mod:`.steps`, :mod:`.regressions`: the properties followed, the step detector,
  the open steps and the CI gate;
* :mod:`.measure`, :mod:`.bisect`: ``history run`` and ``history find``;
* :mod:`.figures`, :mod:`.report`: the trend page.

Nothing is imported here: ``import harness.history`` stays light, and numpy, scipy, ruptures,
matplotlib and psycopg load only where a module needs them.
"""

__all__: list[str] = []
