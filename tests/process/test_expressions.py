"""Conditions are CEL: the semantics a modeler relies on, wrappers stripped, clear failures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liucheng.core.errors import LiuchengError, ValidationError
from liucheng.process import ConditionSyntaxError, ExpressionError, compile_condition, strip_wrappers


def holds(text: str, **data: object) -> bool:
    return compile_condition(text, where="Flow_test").evaluate(data)


def test_cel_strings_numbers_membership_and_logic() -> None:
    assert holds('region == "east" && amount >= 100', region="east", amount=100)
    assert not holds('region == "east" && amount >= 100', region="east", amount=99)
    assert holds("'vip' in tags || amount > 1000.5", tags=["new", "vip"], amount=1)
    assert holds("customer.tier in ['gold', 'platinum']", customer={"tier": "gold"})
    assert holds("name.startsWith('Li') && size(name) == 6", name="Li Hua")
    assert holds("!(priority in ['low'])", priority="high")
    assert holds("double(count) / 2.0 > 1.4", count=3)


def test_has_guards_a_missing_field() -> None:
    cond = compile_condition("has(customer.phone) && customer.phone != ''", where="Flow_phone")
    assert cond.evaluate({"customer": {"phone": "13800000000"}}) is True
    assert cond.evaluate({"customer": {}}) is False


@pytest.mark.parametrize(
    ("written", "cel"),
    [
        ("${amount > 100}", "amount > 100"),
        ("#{amount > 100}", "amount > 100"),
        ("=amount > 100", "amount > 100"),
        ("  = amount > 100 ", "amount > 100"),
        ("${ a == 'x}' }", "a == 'x}'"),
        ("amount > 100", "amount > 100"),
    ],
)
def test_modeler_wrappers_are_stripped(written: str, cel: str) -> None:
    assert strip_wrappers(written) == cel
    assert compile_condition(written, where="f").expression == cel
    assert holds(written, amount=101, a="x}") in (True, False)


def test_missing_variable_names_flow_expression_and_variable() -> None:
    cond = compile_condition("${amount > 100 && region == 'east'}", where="refund/Flow_large")
    with pytest.raises(ExpressionError) as info:
        cond.evaluate({"amount": 500})
    err = info.value
    assert isinstance(err, LiuchengError)
    assert (err.flow_id, err.expression, err.missing_variable) == (
        "refund/Flow_large",
        "amount > 100 && region == 'east'",
        "region",
    )
    assert "refund/Flow_large" in str(err) and "region" in str(err)
    assert err.to_dict()["missing_variable"] == "region"


def test_missing_map_field_is_reported() -> None:
    with pytest.raises(ExpressionError) as info:
        holds("customer.tier == 'gold'", customer={})
    assert info.value.missing_variable == "tier"


def test_non_bool_result_and_type_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="not a bool"):
        holds("amount + 1", amount=1)
    with pytest.raises(ExpressionError) as info:
        holds("amount + 'x' == 'y'", amount=1)
    assert info.value.missing_variable is None


def test_syntax_error_names_where_and_suggests_cel_for_juel() -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        compile_condition("${amount > 100 and vip}", where="Flow_7")
    err = info.value
    assert isinstance(err, ValidationError)
    assert err.where == "Flow_7" and "Flow_7" in str(err)
    assert "&&" in (err.hint or "")
    with pytest.raises(ConditionSyntaxError, match="empty"):
        compile_condition("${ }", where="Flow_8")


def test_compiled_conditions_are_cached() -> None:
    assert compile_condition("x > 1", where="a") is compile_condition("x > 1", where="a")


def test_accepts_any_mapping() -> None:
    from types import MappingProxyType

    assert compile_condition("x == 1", where="f").evaluate(MappingProxyType({"x": 1}))


@given(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9))
def test_integer_comparisons_agree_with_python(a: int, b: int) -> None:
    assert holds("a < b", a=a, b=b) is (a < b)
    assert holds("a == b || a > b", a=a, b=b) is (a >= b)


@given(st.text(max_size=8), st.lists(st.text(max_size=8), max_size=5))
def test_membership_agrees_with_python(item: str, items: list[str]) -> None:
    assert holds("item in items", item=item, items=items) is (item in items)


def test_unrelated_case_data_of_any_type_does_not_matter() -> None:
    data = {"amount": 5, "blob": object(), "history": list(range(1000))}
    assert compile_condition("amount < 10", where="f").evaluate(data) is True
