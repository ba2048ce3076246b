"""Bindings for ``bpf(2)``; nothing above ``pybpfmaps._sys`` may import ctypes.

``uapi`` mirrors the kernel header, ``syscall`` holds the one call into the kernel, ``commands``
gives each command a typed function, and ``fd`` owns descriptors.
"""
