"""harness.sweep from a real Jupyter notebook: a cell's own function and lambda under spawn.

A notebook's functions live in the kernel's ``__main__``, which a spawned worker cannot import;
harness sends them by value (cloudpickle). The notebook is executed by nbclient in a real
IPython kernel (ipykernel), both in the ``test`` extra.
"""

from __future__ import annotations

import json
import os

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e '.[test]')")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CELL = '''
import json
import harness

def shout(word):
    return word.upper() + "!"

results = {}
for name, fn in (("function", shout), ("lambda", lambda word: word[::-1])):
    suite = harness.sweep(fn, ["alpha", "beta", "gamma", "delta"] * 3,
                          backends=["serial", "processes", "pool", "process-executor"], workers=[2],
                          repeat=1, warmup=0, start_method="spawn")
    results[name] = [[r.series, r.status, r.result_ok, r.error] for r in suite.runs]
print(json.dumps(results))
'''


def test_a_notebook_cell_sweeps_its_own_function_and_lambda_under_spawn(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import sys, harness; print(sys.executable, harness.__file__)"),
                      nbformat.v4.new_code_cell(CELL)]
    path = tmp_path / "sweep.ipynb"
    nbformat.write(notebook, path)

    executed = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(executed, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    nbformat.write(executed, path)  # kept beside the test's other files, outputs and all

    where = "".join(o.get("text", "") for o in executed.cells[0].outputs if o.output_type == "stream")
    assert os.path.join(REPO, "harness") in where  # the kernel runs this checkout's harness
    outputs = executed.cells[1].outputs
    assert not [o for o in outputs if o.output_type == "error"], outputs
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream" and o.name == "stdout")
    results = json.loads(text.strip().splitlines()[-1])
    assert set(results) == {"function", "lambda"}
    for rows in results.values():
        assert [row[0] for row in rows] == ["serial", "processes", "pool", "process-executor"]
        assert all(status == "ok" and ok is True and error is None for _, status, ok, error in rows), rows
    stderr = "".join(o.get("text", "") for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert stderr == ""
