"""From runs to answers: statistics, stability, repeats enough, speedups and verdicts."""
