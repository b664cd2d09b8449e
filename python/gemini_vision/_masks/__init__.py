"""The public mask functions, one module per concern; ``gemini_vision.masks`` re-exports them."""
