"""The `mappings` CLI: eval prints the value alone on the last line; check exits 1 on failures."""

import json

import pytest

from mappings import mapfile
from mappings import presets


def last_line(result) -> str:
    return result.stdout.rstrip("\n").splitlines()[-1]


@pytest.mark.parametrize(("args", "expected"), [
    (['Append([userPrincipalName], ".test")', "--set", "userPrincipalName=John.Doe@contoso.com"],
     "John.Doe@contoso.com.test"),
    ([presets.KANTEGA_EMAIL, "--set", "userPrincipalName=øyvind@contoso.example"],
     "øyvind@contoso.example"),
    ([presets.KANTEGA_NAME, "--set", "givenName=İlkay", "--set", "surname=Yıldız"],
     "İlkay Yıldız"),
    ([presets.SAFE_ACTIVE, "--set", "IsSoftDeleted=true"], "False"),
    (['Switch([x], , "a", "b")'], None),
    (["IgnoreFlowIfNullOrEmpty([department])", "--set", "department="], None),
    (['Split([groups], ",")', "--set", "groups=a,b"], ["a", "b"]),
    (['Join("|", [proxy])', "--set", "proxy=smtp:a", "--set", "proxy=smtp:b"], "smtp:a|smtp:b"),
    (['"a = b"'], "a = b"),
])
def test_eval_prints_json_on_the_last_line(runner, args, expected):
    result = runner.invoke(args=["mappings", "eval", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(last_line(result)) == expected


def test_eval_prints_null_literally(runner):
    result = runner.invoke(args=["mappings", "eval", "[missing]"])
    assert last_line(result) == "null"


@pytest.mark.parametrize(("expression", "position", "message"), [
    ('Join(" ", [givenName] [surname])', 23, "expected , or ) after an argument"),
    ('switch([a], "b")', 1, "did you mean Switch?"),
    ('Left("x", "y")', 1, "Left: NumChars must be a number"),
])
def test_eval_exits_1_with_the_position(runner, expression, position, message):
    result = runner.invoke(args=["mappings", "eval", expression])
    assert result.exit_code == 1
    assert f"at position {position}: " in result.stderr
    assert message in result.stderr
    assert result.stderr.splitlines()[-1] == " " * (position + 1) + "^"
    assert result.stdout == ""


def test_eval_refuses_a_set_without_equals(runner):
    result = runner.invoke(args=["mappings", "eval", "[a]", "--set", "a"])
    assert result.exit_code == 2
    assert "write attribute = value" in result.output


def test_check_prints_the_verdicts_and_fails_on_refusals(runner, make_user, tmp_path):
    make_user("ada@example.com")
    make_user("bob@example.com", emails=[])
    good = tmp_path / "default.json"
    good.write_text(mapfile.dumps(presets.MAPPINGS["kantega"][1]), encoding="utf-8")
    result = runner.invoke(args=["mappings", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "Checked 2 of 2 people with 20 mappings." in result.output
    assert "1 person would get a different work email than Rollcall stores now" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mappings": [{"source": "department", "target": "userName",
                                             "matchingPrecedence": 1}]}))
    result = runner.invoke(args=["mappings", "check", str(bad)])
    assert result.exit_code == 1
    assert "2 people would be refused: 400 (invalidValue): userName is required" in result.output


def test_check_refuses_a_bad_file(runner, tmp_path):
    path = tmp_path / "m.json"
    path.write_text('[{"source": "Join(", "target": "displayName"}]')
    result = runner.invoke(args=["mappings", "check", str(path)])
    assert result.exit_code == 1
    assert "mapping 1 (displayName): position 6" in result.output
