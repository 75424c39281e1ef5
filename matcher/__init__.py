"""kl-matcher's core library: the canonical model, store, encoder, indexes and the engine."""

__version__ = "0.2.0"
