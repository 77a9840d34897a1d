"""Head roles: the bundled model's known heads come out on top; scores match Hugging Face's eager attention."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import attnlens as al
from attnlens import bundled
from attnlens.analysis.head_roles import HeadRoles

TEXT = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def roles() -> HeadRoles:
    model, tokenizer = bundled.load()
    return al.trace(model, tokenizer, TEXT).head_roles()


def test_the_bundled_models_known_heads_come_out_on_top(roles: HeadRoles) -> None:
    best = roles.best()
    assert best["induction"] == (1, 1)  # bundled/README.md: induction head L1H1 (0.92), then L1H0 (0.80)
    assert {h[:2] for h in roles.top("induction", 2)} == {(1, 1), (1, 0)}
    assert best["previous_token"] == (0, 3)  # README: previous-token head L0H3
    assert roles.top("previous_token", 1, on="text")[0][:2] == (0, 3)
    assert roles.repeated["induction"][1, 1] > 0.8
    assert roles.top("induction", 1, on="text")[0][0] == 1


def test_scores_equal_a_recomputation_from_eager_attention(roles: HeadRoles) -> None:
    ids = torch.tensor([roles.repeated_ids])
    n = (ids.shape[1] - 1) // 2
    assert ids[0, 0] == 0 and ids.shape[1] == 81  # <|endoftext|> + 40 random tokens + the same 40
    model = bundled.load_model("eager")
    with torch.no_grad():
        attentions = model(ids, output_attentions=True).attentions
    for layer, a in enumerate(attentions):
        a = a[0].double()
        second = torch.arange(n + 1, 2 * n + 1)  # the second copy's queries, each with one earlier occurrence
        induction = a[:, second, second - n + 1].mean(-1)
        duplicate = a[:, second, second - n].mean(-1)
        rows = torch.arange(1, 2 * n + 1)
        previous = a[:, rows, rows - 1].mean(-1)
        first = a[:, rows, 0].mean(-1)
        for role, expected in (("induction", induction), ("duplicate_token", duplicate),
                               ("previous_token", previous), ("first_token", first)):
            np.testing.assert_allclose(roles.repeated[role][layer], expected.numpy(), atol=1e-5)


def test_bad_arguments_say_what_is_expected(roles: HeadRoles) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        roles.top("copying")
    model, tokenizer = bundled.load()
    with pytest.raises(ValueError, match="n_random"):
        al.trace(model, tokenizer, "hi there").head_roles(n_random=1)
