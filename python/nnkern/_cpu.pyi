"""
Instruction sets of this CPU and of nnkern's kernel build (checked before nnkern._core loads)
"""
from __future__ import annotations
__all__: list[str] = ['cpu_supports', 'known_isa', 'march', 'missing_isa', 'required_isa']
def cpu_supports(name: str) -> bool:
    """
    Whether this CPU (and OS) supports the instruction set `name` (GCC's spelling, e.g. 'avx2').
    """
def known_isa() -> list[str]:
    """
    Instruction-set names nnkern can ask the CPU about.
    """
def march() -> str:
    """
    The -march value of nnkern._core's least capable kernel variant (empty: the compiler's default).
    """
def missing_isa() -> list[str]:
    """
    required_isa() less what this CPU supports.
    """
def required_isa() -> list[str]:
    """
    Instruction sets nnkern._core's least capable kernel variant was compiled to use.
    """
