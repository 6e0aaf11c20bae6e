"""The maple tree core, mirroring lib/maple_tree.c of Linux 6.12.

Imports nothing from the process (``mapletree.mm``) or visual (``mapletree.viz``)
layers.
"""
