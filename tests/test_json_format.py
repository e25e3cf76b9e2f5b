import json
import math

import pytest

from harness.results.json_format import dumps_results


def test_arrays_of_numbers_take_one_line_and_objects_stay_indented():
    data = {"runs": [{"times_s": [0.5, 1, None], "cpu": {"per_core": [[0, 100], [3, 4]]}, "tags": ["a", "b"]}],
            "empty": [], "none": {}, "flag": True}
    text = dumps_results(data)
    assert json.loads(text) == data
    lines = text.splitlines()
    assert '   "times_s": [0.5,1,null],' in lines
    assert "     [0,100]," in lines and "     [3,4]" in lines
    assert '    "a",' in lines  # strings are not numbers: one per line, as json.dumps(indent=1) writes them
    assert '"empty": [],' in text and '"none": {},' in text


def test_the_same_values_as_json_dumps_for_every_kind_of_value():
    data = {"s": "é \"q\"\n", "i": 3, "f": 0.1, "b": [True, False], "n": None, 5: "int key", "nested": [[1], ["x"]]}
    assert json.loads(dumps_results(data)) == json.loads(json.dumps(data))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(bad):
    with pytest.raises(ValueError):
        dumps_results({"times_s": [1.0, bad]})
    with pytest.raises(ValueError):
        dumps_results({"median_s": bad})
