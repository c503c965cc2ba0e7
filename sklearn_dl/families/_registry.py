"""Name -> family class, so ``family="poisson"`` and ``family=Poisson()`` both work."""

from ._base import Family

_FAMILIES = {}


def register_family(cls):
    """Register a :class:`Family` subclass under ``cls.name`` (usable as a decorator).

    Registration is only needed for the name: ``NNRegressor(family=MyFamily())`` works
    with an unregistered instance too.  Names are case-insensitive: the class is
    registered under ``cls.name.lower()``, and :func:`get_family` lowercases the name
    it is given.

    Parameters
    ----------
    cls : type
        A subclass of :class:`Family`.

    Returns
    -------
    cls : type
        The same class, so that ``@register_family`` decorates it.

    Raises
    ------
    TypeError
        When ``cls`` is not a :class:`Family` subclass.

    Examples
    --------
    >>> from sklearn_dl.families import Poisson, available_families, register_family
    >>> @register_family
    ... class Counts(Poisson):
    ...     name = "my_counts"
    >>> "my_counts" in available_families()
    True
    """
    if not (isinstance(cls, type) and issubclass(cls, Family)):
        raise TypeError(f"register_family expects a Family subclass, got {cls!r}.")
    if not isinstance(cls.name, str):
        raise TypeError(f"register_family: {cls.__name__}.name must be a string, got "
                        f"{cls.name!r}.")
    _FAMILIES[cls.name.lower()] = cls
    return cls


def get_family(family, **options):
    """Resolve a family name or instance to a :class:`Family` instance.

    Parameters
    ----------
    family : str or Family
        A registered name (see :func:`available_families`; case-insensitive, so
        ``"Poisson"`` is ``"poisson"``) or an instance.
    **options
        Passed to the family's constructor when ``family`` is a name.

    Returns
    -------
    family : Family
        ``family`` itself when it is an instance.

    Raises
    ------
    ValueError
        For a name that is not registered, listing the registered names.

    Examples
    --------
    >>> from sklearn_dl.families import get_family
    >>> get_family("normal", heteroscedastic=False)
    Normal(heteroscedastic=False)
    >>> get_family("Poisson")
    Poisson()
    """
    if isinstance(family, Family):
        return family
    if isinstance(family, str) and family.lower() in _FAMILIES:
        return _FAMILIES[family.lower()](**options)
    raise ValueError(
        f"Unknown family {family!r}; use one of {sorted(_FAMILIES)} or a Family instance."
    )


def available_families():
    """Names of the registered families.

    Returns
    -------
    names : list of str
        Sorted; each is accepted as ``family=`` by :class:`~sklearn_dl.NNRegressor`
        and :class:`~sklearn_dl.CNNRegressor`.

    Examples
    --------
    >>> from sklearn_dl.families import available_families
    >>> [name for name in available_families() if "poisson" in name]
    ['poisson', 'zero_inflated_poisson']
    """
    return sorted(_FAMILIES)
