"""The evaluate command: the plain function (no Django) and, when the project has one, manage.py itself."""

from __future__ import annotations

import datetime
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from engine_factories import example, star

from evaluation.cli import CliError, main, run

ROOT = Path(__file__).resolve().parents[3]
NAMES = "ABCD"


def _write(tmp_path, data, name="profiles.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _check_examples(results):
    assert len(results) == len(NAMES)
    for result, name in zip(results, NAMES, strict=True):
        for tier, expected in example(name)["expected"].items():
            for key, value in expected.items():
                assert result["tiers"][tier][key] == value, (name, tier, key)


def test_json_output_is_one_array_in_input_order(tmp_path):
    path = _write(tmp_path, [example(n)["profile"] for n in NAMES])
    _check_examples(json.loads(run(path, ruleset="miit-2022", fmt="json")))


def test_reads_standard_input_and_a_single_object():
    stdin = io.StringIO(json.dumps(example("C")["profile"]))
    results = json.loads(run("-", ruleset="miit-2022", stdin=stdin))
    assert len(results) == 1 and results[0]["tiers"]["innovative_sme"]["route"] == "direct"


def test_default_ruleset_is_the_one_in_force(tmp_path):
    path = _write(tmp_path, star())
    assert json.loads(run(path, today=datetime.date(2025, 6, 1)))[0]["ruleset"] == "miit-2022"
    assert json.loads(run(path, today=datetime.date(2026, 6, 1)))[0]["ruleset"] == "miit-2026"


def test_a_bad_profile_names_index_and_field_and_prints_nothing(tmp_path):
    bad = example("B")["profile"]
    bad["financials"][0]["operating_revenue"] = "lots"
    path = _write(tmp_path, [example("A")["profile"], bad, {**star(), "year": "2025x"}])
    stdout, stderr = io.StringIO(), io.StringIO()
    assert main([path, "--ruleset", "miit-2022"], stdout=stdout, stderr=stderr) == 2
    assert stdout.getvalue() == ""
    assert stderr.getvalue().splitlines() == [
        "profile[1]: financials[0].operating_revenue: must be a number, got 'lots'",
        "profile[2]: year: must be a number, got '2025x'",
    ]


def test_nan_in_the_file_is_refused_naming_the_field(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(example("A")["profile"]).replace('"rd_expense": 255', '"rd_expense": NaN'))
    with pytest.raises(CliError) as caught:
        run(str(path), ruleset="miit-2022")
    assert (
        str(caught.value)
        == "profile: financials[0].rd_expense: must be a finite number (NaN and Infinity are not allowed)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ("42", "must hold one profile"),
    ],
)
def test_unreadable_input(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(CliError) as caught:
        run(str(path), ruleset="miit-2022")
    assert message in str(caught.value)


def test_missing_file_and_unknown_ruleset(tmp_path):
    with pytest.raises(CliError, match="cannot read"):
        run(str(tmp_path / "absent.json"), ruleset="miit-2022")
    with pytest.raises(CliError, match="unknown ruleset 'miit-1999'"):
        run(_write(tmp_path, star()), ruleset="miit-1999")


def test_text_format_reads_like_a_breakdown(tmp_path):
    text = run(_write(tmp_path, example("B")["profile"]), ruleset="miit-2022", fmt="text")
    assert "Profile 1: Example B, fiscal year 2025, size small, ruleset miit-2022" in text
    assert "innovative SME: FAILED; score 70/100 (innovation 40, growth 5, specialisation 25)" in text
    assert "- growth subtotal 5 is below the minimum 15" in text
    assert "main_growth" in text and "-4.00%" in text


def test_a_thousand_profiles(tmp_path):
    profiles = [example(NAMES[i % 4])["profile"] for i in range(1000)]
    results = json.loads(run(_write(tmp_path, profiles), ruleset="miit-2022"))
    assert len(results) == 1000
    assert results[999]["tiers"]["innovative_sme"]["score"] == 60  # D


@pytest.mark.skipif(not (ROOT / "manage.py").exists(), reason="the project has no manage.py yet")
def test_manage_py_evaluate_from_stdin():
    stdin = json.dumps([example(n)["profile"] for n in NAMES])
    done = subprocess.run(
        [sys.executable, "manage.py", "evaluate", "-", "--ruleset", "miit-2022", "--format", "json"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    _check_examples(json.loads(done.stdout))
    bad = subprocess.run(
        [sys.executable, "manage.py", "evaluate", "-", "--ruleset", "miit-2022"],
        input='{"year": 2025}',
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert bad.returncode != 0 and bad.stdout == ""
    assert "employees" in bad.stderr
