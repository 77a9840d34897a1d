"""``from attnlens import circuitsvis as cv`` takes CircuitsVis's arguments and draws what CircuitsVis
was given: CircuitsVis's documented examples run through both, the props CircuitsVis embeds are decoded,
and the offline attnlens page is read in headless Chromium (tokens, heatmap readout, token colours)."""

from __future__ import annotations

import json
import re
from typing import Any

import circuitsvis
import numpy as np
import pytest
import torch

from attnlens import circuitsvis as cv
from test_bertviz_dropin import carried
from test_static_export import embedded_state

TOKENS = ["The", " cat", " sat", " on", " the", " mat"]


def circuitsvis_props(rendered: Any) -> tuple[str, dict[str, Any]]:
    """The component and props CircuitsVis's HTML hands to its renderer."""
    found = re.search(r'render\(\s*"[^"]+",\s*(\w+),\s*(\{.*\})\s*\)\s*</script>', str(rendered), flags=re.S)
    assert found, "CircuitsVis's HTML no longer embeds its props where this test looks"
    return found.group(1), json.loads(found.group(2))


def causal_pattern(heads: int, n: int) -> torch.Tensor:
    torch.manual_seed(0)
    scores = (torch.randn(heads, n, n) * 3).masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    return scores.softmax(-1)


def open_page(browser: Any, lens: Any, path: Any) -> Any:
    lens.save_html(path)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.locator(".attnlens").wait_for()
    page.wait_for_function("() => !document.querySelector('.attnlens').textContent.includes('loading')")
    assert requests == [path.as_uri()]  # offline: nothing else is fetched
    return page


def test_attention_heads_draws_what_circuitsvis_was_given(browser, tmp_path) -> None:
    attention = causal_pattern(3, len(TOKENS))
    names = ["L0H1", "L2H3", "L5H0"]
    component, props = circuitsvis_props(circuitsvis.attention.attention_heads(attention, TOKENS, names))
    lens = cv.attention.attention_heads(attention, TOKENS, names)
    assert component == "AttentionHeads" and props["attentionHeadNames"] == lens.head_names == names
    open_page(browser, lens, tmp_path / "check.html").close()
    state = embedded_state((tmp_path / "check.html").read_text())
    assert state["_meta"]["tokens"] == props["tokens"]
    np.testing.assert_allclose(carried(state, "self", 1)[0], np.array(props["attention"]), atol=1e-3)

    lens.heads = [1]
    page = open_page(browser, lens, tmp_path / "heads.html")
    labels = page.locator('.al-head-view [data-token-index][data-side="left"], .attnlens [data-token-index]')
    shown = {int(labels.nth(i).get_attribute("data-token-index")): labels.nth(i).get_attribute("title") or ""
             for i in range(labels.count())}
    assert all(TOKENS[i].strip() in title for i, title in shown.items()) and set(shown) == set(range(len(TOKENS)))
    # The zoomable heatmap names the query and key under the pointer (the saved page's values are
    # checked above against CircuitsVis's props; exact hover values need a kernel).
    canvas = page.locator(".al-zoom canvas.al-heat")
    box = canvas.bounding_box()
    assert box is not None
    canvas.hover(position={"x": box["width"] * 0.05, "y": box["height"] * 0.05})
    page.wait_for_timeout(300)
    assert page.locator('[data-readout="heat-cell"]').inner_text().strip()
    page.close()


def test_attention_patterns_example(browser, tmp_path) -> None:
    """CircuitsVis's own test input."""
    attention = np.array([[[0, 1], [0, 1]]])
    component, props = circuitsvis_props(circuitsvis.attention.attention_patterns(tokens=["a", "b"],
                                                                                  attention=attention))
    lens = cv.attention.attention_patterns(tokens=["a", "b"], attention=attention)
    assert component == "AttentionPatterns" and lens.view == "model,head"
    np.testing.assert_array_equal(lens.trace.attention(0), np.array(props["attention"], np.float32))
    page = open_page(browser, lens, tmp_path / "patterns.html")
    assert page.locator(".attnlens canvas.al-model-canvas").count() == 1
    assert page.locator(".attnlens").get_attribute("data-drawn-layer") == "0"
    page.close()


@pytest.mark.parametrize("tokens,values", [(["My", "tokens"], [0.123, -0.226]),  # CircuitsVis's README
                                           (["a", "b"], [1, 2]),  # CircuitsVis's test
                                           (["x", "y", "z", "w"], torch.tensor([0.5, -2.0, 0.0, 1.25]))])
def test_colored_tokens_colours_follow_the_values(browser, tmp_path, tokens, values) -> None:
    component, props = circuitsvis_props(circuitsvis.tokens.colored_tokens(tokens, values))
    assert component == "ColoredTokens" and props["tokens"] == tokens
    page = open_page(browser, cv.tokens.colored_tokens(tokens, values), tmp_path / "tokens.html")
    chips = page.evaluate("""() => [...document.querySelectorAll('.al-mlp-tokens .al-chip')].map(c =>
        [c.textContent, c.getAttribute('aria-label'), getComputedStyle(c).backgroundColor])""")
    assert [c[0] for c in chips] == tokens
    expected = np.array(props["values"], np.float64)
    shown = [float(re.search(r"activation (-?[0-9.]+)", c[1]).group(1)) for c in chips]
    np.testing.assert_allclose(shown, expected, atol=0.006)
    rgb = [tuple(map(int, re.findall(r"\d+", c[2])[:3])) for c in chips]
    for value, (r, _g, b) in zip(expected, rgb, strict=True):  # orange for positive, blue for negative
        assert (r > b) if value > 0 else (b > r) if value < 0 else abs(r - b) < 40
    strength = [255 * 3 - sum(c) for c in rgb]  # further from white: stronger
    order = np.argsort(np.abs(expected))
    assert all(strength[order[i]] <= strength[order[i + 1]] + 1 for i in range(len(order) - 1))
    page.close()


def test_bad_arguments_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="has 2 positions but tokens has 3 tokens"):
        cv.attention.attention_patterns(["a", "b", "c"], np.eye(2)[None])
    with pytest.raises(ValueError, match=r"weights in \[0, 1\]"):
        cv.attention.attention_heads(np.full((1, 2, 2), -0.5), ["a", "b"])
    with pytest.raises(ValueError, match="must name each of the 2 heads"):
        cv.attention.attention_heads(np.ones((2, 2, 2)) / 2, ["a", "b"], attention_head_names=["x"])
    with pytest.raises(ValueError, match="values has 2 positions but tokens has 1"):
        cv.tokens.colored_tokens(["a"], [1, 2])
    with pytest.warns(UserWarning, match="max_value is accepted for CircuitsVis compatibility but not applied"):
        cv.tokens.colored_tokens(["a"], [1], max_value=3)
