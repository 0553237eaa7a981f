"""Plain numpy references of nnkern's kernels, written for clarity, not speed (float64 inside)."""
