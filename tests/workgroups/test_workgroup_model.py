"""What a workgroup is made of: the member-count warning, scope labels."""

from __future__ import annotations

import pytest

from lib.workgroups import model


@pytest.mark.parametrize(
    ("count", "warned"), [(0, "nobody yet"), (1, "has 1 member."), (2, None), (3, None), (4, "has 4 members.")]
)
def test_member_count_warning_outside_two_or_three(count, warned):
    warning = model.member_count_warning(count)
    if warned is None:
        assert warning is None
    else:
        assert "expects 2 or 3" in warning and warned in warning
