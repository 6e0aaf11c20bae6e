"""mapletree: an interactive model of the Linux maple tree and of fork()'s __mt_dup()."""

__version__ = "0.1.0"
