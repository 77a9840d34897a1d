"""Attention rollout and attention flow (Abnar & Zuidema, 2020): how much each input token feeds
each position through all layers, counting the residual connection.

Both start from the per-layer attention averaged over heads with the residual added,
Â = 0.5·A + 0.5·I (rows renormalised). Rollout multiplies these down the layers; flow treats them
as capacities of a layered graph and takes the maximum flow from an input token to a position.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

MAX_FLOW_TOKENS = 128  # flow solves one max-flow problem per input token on a (layers+1)·n node graph


def residual_attention(attentions: np.ndarray) -> np.ndarray:
    """[layers, heads, n, n] → Â [layers, n, n]: head mean, plus identity, rows summing to 1."""
    mean = attentions.astype(np.float64).mean(axis=1)
    eye = np.eye(mean.shape[-1])
    mixed = 0.5 * mean + 0.5 * eye
    return mixed / mixed.sum(axis=-1, keepdims=True)


def attention_rollout(attentions: np.ndarray) -> np.ndarray:
    """[n, n]: row i says how much each input token reaches position i after the last layer."""
    rolled = np.eye(attentions.shape[-1])
    for layer in residual_attention(attentions):
        rolled = layer @ rolled
    return rolled


def attention_flow(attentions: np.ndarray, position: int) -> np.ndarray:
    """[n]: the maximum flow from each input token to ``position`` after the last layer."""
    mixed = residual_attention(attentions)
    layers, n, _ = mixed.shape
    if n > MAX_FLOW_TOKENS:
        raise ValueError(
            f"attention flow on {n} tokens is too slow (one max-flow problem per token); "
            f"use method='attention_rollout' or at most {MAX_FLOW_TOKENS} tokens"
        )
    graph = nx.DiGraph()
    for layer in range(layers):
        rows, cols = np.nonzero(mixed[layer])
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            # node (layer + 1, i) reads from node (layer, j)
            graph.add_edge((layer, j), (layer + 1, i), capacity=float(mixed[layer, i, j]))
    sink = (layers, position)
    flows = np.zeros(n)
    for token in range(n):
        if graph.has_node((0, token)) and graph.has_node(sink):
            flows[token] = nx.maximum_flow_value(graph, (0, token), sink)
    return flows
