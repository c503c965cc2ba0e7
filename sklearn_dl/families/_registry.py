"""Name -> family class, so ``family="poisson"`` and ``family=Poisson()`` both work."""

from ._base import Family

_FAMILIES = {}


def register_family(cls):
    """Register a :class:`Family` subclass under ``cls.name`` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Family)):
        raise TypeError(f"register_family expects a Family subclass, got {cls!r}.")
    _FAMILIES[cls.name] = cls
    return cls


def get_family(family, **options):
    """Resolve a family name or instance to a :class:`Family` instance.

    Parameters
    ----------
    family : str or Family
        A registered name (see :func:`available_families`) or an instance.
    **options
        Passed to the family's constructor when ``family`` is a name.
    """
    if isinstance(family, Family):
        return family
    if isinstance(family, str) and family in _FAMILIES:
        return _FAMILIES[family](**options)
    raise ValueError(
        f"Unknown family {family!r}; use one of {sorted(_FAMILIES)} or a Family instance."
    )


def available_families():
    """Names of the registered families."""
    return sorted(_FAMILIES)
