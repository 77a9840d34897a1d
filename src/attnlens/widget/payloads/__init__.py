"""Payload code per front-end view (mirrors ``js/src/views/<view>/``): trace → compact arrays."""
