"""Running a sweep: backends, the runner, the sampler, signals and other interpreters."""
