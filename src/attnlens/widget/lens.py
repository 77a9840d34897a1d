"""The Lens widget: selection in synced traits, data sent as binary replies, one slice at a time."""

from __future__ import annotations

import os
import pathlib
from typing import Any

import anywidget
import traitlets

from attnlens.analysis.compare import check_same_model
from attnlens.capture.trace import Trace
from attnlens.widget import images
from attnlens.widget.bundle import STATIC, check_bundle
from attnlens.widget.contract import (
    ABLATION_MODES,
    KEPT_REPLIES,
    METHODS,
    MODES,
    SEED_BYTES,
    TRAITS,
    VIEW_IDS,
    ablation_item,
    marked_parts,
    parse_ablation_item,
    reruns,
)
from attnlens.widget.export import standalone_html
from attnlens.widget.protocol import answer, chunked, inline, inline_nbytes, inline_reply
from attnlens.widget.session import Session
from attnlens.widget.static_repr import with_static
from attnlens.widget.wire import trace_meta

VIEWS = VIEW_IDS

check_bundle()  # anywidget reads the files when the class is created



class Lens(anywidget.AnyWidget):  # type: ignore[misc]
    """Linked views over one Trace. Read or set the selection from Python; the page follows."""

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    layer = traitlets.Int(TRAITS["layer"].default).tag(sync=True)
    """The selected layer (0-based)."""
    heads = traitlets.List(traitlets.Int()).tag(sync=True)
    """The heads shown, sorted; all heads by default."""
    token = traitlets.Int(TRAITS["token"].default, allow_none=True).tag(sync=True)
    """The locked token (clicked in the page), or None."""
    target = traitlets.Int(TRAITS["target"].default, allow_none=True).tag(sync=True)
    """The target position for attributions, or None."""
    neuron = traitlets.Int(TRAITS["neuron"].default, allow_none=True).tag(sync=True)
    """The selected MLP neuron, or None."""
    view = traitlets.Unicode(TRAITS["view"].default).tag(sync=True)
    """The views shown, comma-separated in page order, e.g. "head,logit_lens"; each one of VIEWS."""
    stack = traitlets.Unicode(TRAITS["stack"].default).tag(sync=True)
    """The attention stack shown: "self", or "encoder" / "decoder" / "cross" for seq2seq models."""
    mode = traitlets.Unicode(TRAITS["mode"].default).tag(sync=True)
    """How the head view draws attention: "lines" or "heatmap"."""
    method = traitlets.Unicode(TRAITS["method"].default).tag(sync=True)
    """The attribution method the attribution view shows (one of analysis.attribution.METHODS)."""
    ablate = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Parts marked for ablation in the page: "head:LAYER:HEAD" and "neuron:LAYER:NEURON"."""
    ablate_mode = traitlets.Unicode(TRAITS["ablate_mode"].default).tag(sync=True)
    """How marked parts are ablated: "zero", or "mean" (their mean over positions)."""

    _meta = traitlets.Dict().tag(sync=True)
    _replies = traitlets.Dict().tag(sync=True)  # request key → reply with inline buffers: the page's seed

    def __init__(self, trace: Trace, layer: int = 0, compare: Trace | None = None, **kwargs: Any) -> None:
        for name, value in (("Lens", trace), ("compare=", compare)):
            if not isinstance(value, Trace) and not (name == "compare=" and value is None):
                raise TypeError(
                    f"{name} needs a Trace from attnlens.trace(...), got {type(value).__name__}; "
                    "use attnlens.show(model, tokenizer, text) to trace and show in one step."
                )
        self.trace = trace
        self._session = Session()
        meta = trace_meta(trace)
        meta["compare"] = {"version": 0, "text_a": trace.input_text(), "text_b": ""}
        if compare is not None:
            check_same_model(trace, compare)
            version = self._session.add_run(compare)
            meta["compare"].update(version=version, text_b=compare.input_text())
        self._suppress_next_repr = False
        kwargs.setdefault("heads", list(range(trace.n_heads)))
        kwargs.setdefault("stack", trace.default_stack)
        super().__init__(_meta=meta, **kwargs)
        self.layer = layer
        # A trait travels in one state message: seed it only when small; else the page asks (in chunks).
        st = trace.stack(self.stack)
        n_q, n_k = len(trace.side_tokens(st.queries)), len(trace.side_tokens(st.keys))
        if st.n_heads * n_q * n_k <= SEED_BYTES:  # uint8 at the least: no need to compute a layer to drop it
            key, reply = inline_reply(trace, {"what": "attention", "stack": self.stack, "layer": self.layer})
            self._replies = {key: reply} if inline_nbytes(reply) <= SEED_BYTES else {}
        self.on_msg(self._on_page_message)

    def __repr__(self) -> str:
        return f"Lens({self.trace!r}, layer={self.layer}, token={self.token})"

    # --- validation: a bad value set from Python is refused with a message, never drawn -------
    @traitlets.validate("layer")
    def _valid_layer(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        n = self.trace.n_layers
        if not 0 <= value < n:
            raise traitlets.TraitError(f"layer {value} is out of range: this model has layers 0 to {n - 1}")
        return int(value)

    @traitlets.validate("heads")
    def _valid_heads(self, proposal: dict[str, Any]) -> list[int]:
        heads = list(proposal["value"])
        n = self.trace.n_heads
        if len(set(heads)) != len(heads):
            raise traitlets.TraitError(f"heads {heads} has a duplicate; list each head once")
        bad = [h for h in heads if not 0 <= h < n]
        if bad:
            raise traitlets.TraitError(f"heads {bad} are out of range: this model has heads 0 to {n - 1}")
        return sorted(heads)

    @traitlets.validate("token", "target")
    def _valid_position(self, proposal: dict[str, Any]) -> int | None:
        value = proposal["value"]
        n = self.trace.n_tokens
        if value is not None and not 0 <= value < n:
            raise traitlets.TraitError(
                f"{proposal['trait'].name} {value} is out of range: the text has tokens 0 to {n - 1}"
            )
        return value  # type: ignore[no-any-return]

    @traitlets.validate("view")
    def _valid_view(self, proposal: dict[str, Any]) -> str:
        names = [v.strip() for v in str(proposal["value"]).split(",")]
        unknown = [v for v in names if v not in VIEWS]
        if unknown or not names:
            raise traitlets.TraitError(
                f"unknown view {','.join(unknown) or proposal['value']!r}; choose from {list(VIEWS)}, "
                "comma-separated for several"
            )
        if len(set(names)) != len(names):
            raise traitlets.TraitError(f"view {proposal['value']!r} names a view twice")
        return ",".join(names)

    @traitlets.validate("stack")
    def _valid_stack(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in self.trace.stacks:
            raise traitlets.TraitError(
                f"unknown stack {proposal['value']!r}; this trace has {list(self.trace.stacks)}"
            )
        return str(proposal["value"])

    @traitlets.validate("mode")
    def _valid_mode(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in MODES:
            raise traitlets.TraitError(f"unknown mode {proposal['value']!r}; choose one of {list(MODES)}")
        return str(proposal["value"])

    @traitlets.validate("method")
    def _valid_method(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in METHODS:
            raise traitlets.TraitError(
                f"unknown attribution method {proposal['value']!r}; choose one of {list(METHODS)}"
            )
        return str(proposal["value"])

    @traitlets.validate("ablate_mode")
    def _valid_ablate_mode(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in ABLATION_MODES:
            raise traitlets.TraitError(
                f"unknown ablate_mode {proposal['value']!r}; choose one of {list(ABLATION_MODES)}"
            )
        return str(proposal["value"])

    @traitlets.validate("ablate")
    def _valid_ablate(self, proposal: dict[str, Any]) -> list[str]:
        st = self.trace.stack(self.stack or None)
        limits = {"head": st.n_heads, "neuron": st.mlp[0].shape[1] if st.mlp else 0}
        out: list[str] = []
        for item in proposal["value"]:
            part = parse_ablation_item(str(item))
            if part is None:
                raise traitlets.TraitError(
                    f"ablate item {item!r} is not 'head:LAYER:HEAD' or 'neuron:LAYER:NEURON'"
                )
            kind, layer, index = part
            if not (layer < st.n_layers and index < limits[kind]):
                raise traitlets.TraitError(
                    f"ablate item {item!r} is out of range: layers 0 to {st.n_layers - 1}, "
                    f"{kind}s 0 to {limits[kind] - 1}"
                )
            out.append(ablation_item(kind, layer, index))
        if len(set(out)) != len(out):
            raise traitlets.TraitError(f"ablate {proposal['value']!r} names a part twice")
        return sorted(out)

    def ablation(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The (heads, neurons) marked in the page, as ``Trace.ablate`` takes them."""
        return marked_parts(self.ablate)

    # --- requests from the page ----------------------------------------------------------------
    def _on_page_message(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        if isinstance(content, dict) and content.get("kind") == "request":
            if reruns(content.get("what")):  # seconds of work ahead: the page shows progress, not "no kernel"
                self.send({"kind": "working", "id": content.get("id")})
            reply, buffers = answer(self.trace, content, self._session)
            for message, parts in chunked(reply, buffers):
                self.send(message, buffers=parts)
            self._keep_for_saving(reply, buffers)

    def _keep_for_saving(self, reply: dict[str, Any], buffers: list[Any]) -> None:
        """Add an answer to ``_replies`` so that a notebook saved with its widget state redraws what
        the page showed without a kernel. Only while the trait stays within ``SEED_BYTES`` (it is one
        state message, not chunked) and ``KEPT_REPLIES`` entries (each addition resends all of it)."""
        key = reply.get("key")
        if reply.get("kind") != "reply" or not isinstance(key, str) or key in self._replies:
            return
        if len(self._replies) >= KEPT_REPLIES:
            return
        kept = inline(reply, buffers)
        if sum(inline_nbytes(r) for r in self._replies.values()) + inline_nbytes(kept) <= SEED_BYTES:
            self._replies = {**self._replies, key: kept}

    def save_html(self, path: str | os.PathLike[str], title: str | None = None, budget_mb: float = 25.0) -> str:
        """Write one self-contained, offline, interactive HTML file; returns its path. The head view's
        attention (each row's strongest keys, heatmap overviews) is saved within ``budget_mb``
        megabytes of compressed data; the page says which layers it holds."""
        target = pathlib.Path(path)
        target.write_text(standalone_html(self, title, budget_mb), encoding="utf-8")
        return str(target)

    def save_png(self, path: str | os.PathLike[str]) -> str:
        """The current view (head view lines or heatmap, as selected) as a PNG image; returns its path."""
        return images.save_png(self, path)

    def save_svg(self, path: str | os.PathLike[str]) -> str:
        """The current view as an SVG image (text stays text); returns its path."""
        return images.save_svg(self, path)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        if self._suppress_next_repr:  # show() already displayed it in this cell
            self._suppress_next_repr = False
            return {"text/plain": ""}, {}
        from attnlens.widget.headless import for_host  # no widget view where nothing renders it

        return for_host(self, with_static(self, super()._repr_mimebundle_(**kwargs)))
