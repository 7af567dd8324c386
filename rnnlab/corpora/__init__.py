"""Text corpora shipped with rnnlab (compressed); read them with ``rnnlab.load_corpus``."""
