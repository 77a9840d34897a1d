"""The widget side: payloads (no front-end needed), the Lens widget and ``show`` (need the bundle)."""
