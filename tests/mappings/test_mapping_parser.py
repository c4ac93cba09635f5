"""The parser: the reference's syntax, and precise messages with 1-based positions."""

import pytest

from mappings.evaluator import Context
from mappings.evaluator import evaluate
from mappings.limits import Limits
from mappings.parser import parse
from mappings.syntax import Attribute
from mappings.syntax import Call
from mappings.syntax import Compare
from mappings.syntax import Empty
from mappings.syntax import EvaluationError
from mappings.syntax import Name
from mappings.syntax import Number
from mappings.syntax import ParseError
from mappings.syntax import String

SAFE_ACTIVE = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'


@pytest.mark.parametrize(("text", "tree"), [
    ("[mail]", Attribute("mail")),
    ('"United States"', String("United States")),
    ('"Company name: \\"Contoso\\""', String('Company name: "Contoso"')),
    (r'"a\\b"', String("a\\b")),
    (r'"\d"', String("\\d")),  # a backslash before anything else stands for itself
    ('"Ødegård İ"', String("Ødegård İ")),
    ("Guid()", Call("Guid", ())),
    ("Now( )", Call("Now", ())),
    ("BitAnd(&HF, &hF7)", Call("BitAnd", (Number("&HF"), Number("&hF7")))),
    ('DateAdd("d", -10, Now())', Call("DateAdd", (String("d"), Number("-10"), Call("Now")))),
    (SAFE_ACTIVE, Call("Switch", (Attribute("IsSoftDeleted"), Empty(), String("False"),
                                  String("True"), String("True"), String("False")))),
    ('Replace([a], , , , "x", , )', Call("Replace", (Attribute("a"), Empty(), Empty(), Empty(),
                                                     String("x"), Empty(), Empty()))),
    ('InStr("a", "b", 1, vbTextCompare)', Call("InStr", (String("a"), String("b"), Number("1"),
                                                        Name("vbTextCompare")))),
    ('IIF([country]="USA",[country],[department])',
     Call("IIF", (Compare("=", Attribute("country"), String("USA")), Attribute("country"),
                  Attribute("department")))),
    ("CBool([a] <> [b])", Call("CBool", (Compare("<>", Attribute("a"), Attribute("b")),))),
    ('IIF(DateDiff("d", Now(), [x]) >= 5, "a", "b")',
     Call("IIF", (Compare(">=", Call("DateDiff", (String("d"), Call("Now"), Attribute("x"))),
                          Number("5")), String("a"), String("b")))),
    ("  Join(\n\t\" \" ,\n [givenName] , [surname] )  ",
     Call("Join", (String(" "), Attribute("givenName"), Attribute("surname")))),
    ("[extensionAttribute1]", Attribute("extensionAttribute1")),
])
def test_parses(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(("text", "position", "message"), [
    ("", 1, "the expression is empty"),
    ("   ", 1, "the expression is empty"),
    ('switch([a], "b")', 1, "unknown function 'switch'; did you mean Switch?"),
    ("Frobnicate([a])", 1, "unknown function 'Frobnicate'"),
    ("IsPresent[mail]", 10, "IsPresent is a function: put its arguments in parentheses"),
    ("Join(mail)", 6, "'mail' is not a function call or a constant; an attribute needs "
                      "square brackets, as in [mail]"),
    ('Join(" ", [givenName]', 22, "expected , or ) after an argument, found end of the expr"),
    ('Join(" " [givenName])', 10, "expected , or ) after an argument, found '['"),
    ('Append([mail], "x)', 16, 'the string opened here has no closing "'),
    ("Append([mail, \"x\")", 8, "the attribute name opened here has no closing ]"),
    ("Append([], \"x\")", 8, "an attribute name is missing"),
    ('Switch([a], "b", "c")', 1, "Switch takes an even number of arguments, at least 2, not 3"),
    ('Left("a")', 1, "Left takes 2 arguments, not 1"),
    ("Guid(1)", 1, "Guid takes 0 arguments, not 1"),
    ('Join(" ")', 1, "Join takes at least 2 arguments, not 1"),
    ('[a] = [b] = [c]', 11, "comparisons can't be chained"),
    ('Append([a], "b") x', 18, "unexpected 'x' after the end of the expression"),
    ("Left([a], -)", 12, "expected a digit, found ')'"),
    ("BitAnd(&Hzz, 1)", 10, "expected hexadecimal digits after &H"),
    ("Append([a], )", 13, None),  # an empty argument is fine for the parser
    ('Join(" ", SelectUniqueValue([a], [b]))', 11, "SelectUniqueValue must be the whole "
                                                  "expression"),
    ("Append([a], ;)", 13, "expected a function, [attribute], \"string\" or number, found ';'"),
])
def test_errors_carry_position_and_message(text, position, message):
    if message is None:
        parse(text)
        return
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.position == position
    assert message in caught.value.message
    assert str(caught.value).startswith(f"position {position}: ")


def test_too_long_is_refused_before_parsing():
    text = 'Append([a], "' + "x" * 5000 + '")'
    with pytest.raises(ParseError, match="longer than 4000 characters") as caught:
        parse(text)
    assert caught.value.position == 4001


@pytest.mark.parametrize("depth", [33, 200, 5000])
def test_deep_nesting_is_a_parse_error_not_a_recursion_error(depth):
    text = "ToLower(" * depth + "[a]" + ")" * depth
    with pytest.raises(ParseError, match="nests deeper than 32 levels"):
        parse(text, Limits(max_length=100_000))


def test_nesting_up_to_the_limit_parses_and_evaluates():
    text = "ToLower(" * 32 + "[a]" + ")" * 32
    assert evaluate(text, {"a": "ÅSE"}).value == "åse"


@pytest.mark.parametrize(("text", "source", "message"), [
    ('Join("", [a], [a], [a], [a])', {"a": "x" * 3000}, "longer than 10000 characters"),
    ("Split([a], \",\")", {"a": "," * 2000}, "more than 1000 items"),
    ('Replace([a], , "(a+)+$", , "", , )', {"a": "a" * 5000 + "!"}, None),
])
def test_evaluation_is_bounded(text, source, message):
    try:
        evaluate(text, source)
    except EvaluationError as error:
        assert message is None or message in error.message
        assert error.position == 1
    else:
        assert message is None


def test_the_step_bound_stops_a_long_evaluation():
    text = "Join(\"\", " + ", ".join(["[a]"] * 50) + ")"
    with pytest.raises(EvaluationError, match="more than 20 steps"):
        evaluate(text, {"a": "x"}, Context(limits=Limits(max_steps=20)))
