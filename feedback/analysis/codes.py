"""Integer codes for label columns: the plumbing under :mod:`.tallies` and :mod:`.checks`.

A label column (coachee, rater, item, ...) becomes one small integer per row, its
*code*, and the labels in order of first appearance. Grouping, counting and checking
ten million rows is then a matter of ``numpy.bincount`` over codes. Only the two
modules above use this one; the rules of docs/analysis.md never see a code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

#: Up to this many table cells more than rows, a dense ``bincount`` table beats a sort.
_DENSE_SLACK = 1 << 20


def _dense_enough(size: int, rows: int) -> bool:
    """Whether a table of ``size`` cells is cheap next to ``rows`` rows."""
    return size <= 4 * rows + _DENSE_SLACK


def _in_order_of_appearance(codes: np.ndarray, n_categories: int) -> bool:
    """Whether every category is used and each first appears after the one before it:
    then the running maximum of the codes starts at 0 and never jumps by more than 1.

    Once the running maximum has reached the last category it cannot grow, so only the
    rows up to the first use of the last category are walked: for a few labels (groups,
    items, competencies) that is the first rows of the file."""
    if len(codes) == 0 or n_categories == 0:
        return False
    end = _first_use(codes, n_categories - 1)
    if end < 0:
        return False
    running = np.maximum.accumulate(codes[: end + 1])
    return bool(running[0] == 0 and (np.diff(running) <= 1).all())


def _first_use(codes: np.ndarray, code: int) -> int:
    """The first row holding ``code``, or -1; looks at growing blocks from the start,
    so a code used early costs little."""
    start, size = 0, 1 << 12
    while start < len(codes):
        found = np.flatnonzero(codes[start : start + size] == code)
        if len(found):
            return start + int(found[0])
        start += size
        size *= 2
    return -1


def codes_in_order(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a column (-1 where missing) and its labels in order of first
    appearance. Cheap for a categorical column whose categories are already in that
    order (as :func:`~feedback.analysis.io.read_ratings_csv` makes them): its codes are
    used as they are, in their own (small) integer type."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.array.codes
        categories = column.cat.categories
        if _in_order_of_appearance(codes, len(categories)):
            return codes, np.asarray(categories, dtype=object)
        used = pd.unique(codes)
        used = used[used >= 0]
        if len(used) == len(categories) and np.array_equal(used, np.arange(len(used))):
            return codes, np.asarray(categories, dtype=object)
        remap = np.full(len(categories) + 1, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return remap[codes], np.asarray(categories.take(used), dtype=object)
    codes, uniques = pd.factorize(column, sort=False, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


#: Ratings per slice, where a pass over every rating reuses one small scratch array.
SLICE_ROWS = 1 << 20


def combined_key(*parts: tuple[np.ndarray, int], slice_rows: int = SLICE_ROWS) -> np.ndarray:
    """sum(codes * stride) over the parts, as one int64 array.

    Codes may be small integer types (int8 categorical codes); they are widened inside
    the ufuncs, so no int64 copy of each part is made: the result, and one scratch
    array of ``slice_rows`` ratings reused slice by slice, however many parts.
    """
    (first, stride), *rest = parts
    key = np.multiply(first, stride, dtype=np.int64)
    scratch = np.empty(min(len(key), slice_rows), dtype=np.int64)
    for start in range(0, len(key), slice_rows):
        part = key[start : start + slice_rows]
        room = scratch[: len(part)]
        for codes, step in rest:
            codes_here = codes[start : start + slice_rows]
            if step == 1:
                np.add(part, codes_here, out=part, dtype=np.int64)
            else:
                part += np.multiply(codes_here, step, out=room, dtype=np.int64)
    return key


def number_pairs(
    first: np.ndarray, second: np.ndarray, n_second: int
) -> tuple[np.ndarray, np.ndarray]:
    """Number the (first, second) code pairs present, ordered by first then second.

    Returns the pair number of every row and the key ``first * n_second + second`` of
    every pair. A dense table when the keys are few, a sort otherwise.
    """
    key = combined_key((first, n_second), (second, 1))
    size = (int(first.max(initial=-1)) + 1) * n_second
    if _dense_enough(size, len(key)):
        present = np.bincount(key, minlength=size) > 0
        pair_of_key = np.cumsum(present) - 1
        return pair_of_key[key], np.flatnonzero(present)
    pair_keys, pair = np.unique(key, return_inverse=True)
    return pair.reshape(-1), pair_keys


def low_high(owner: np.ndarray, value: np.ndarray, n_owners: int) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest ``value`` of each owner code (the extremes of the value's
    integer type for owners without rows)."""
    extremes = np.iinfo(value.dtype)
    low = np.full(n_owners, extremes.max, dtype=value.dtype)  # ufunc.at is fast without
    high = np.full(n_owners, extremes.min, dtype=value.dtype)  # a cast: the value's type
    np.minimum.at(low, owner, value)
    np.maximum.at(high, owner, value)
    return low, high


def same_within(owner: np.ndarray, value: np.ndarray, n_owners: int) -> np.ndarray:
    """For each owner code, whether every row of that owner has the same value
    (True for owners without rows)."""
    low, high = low_high(owner, value, n_owners)
    return (low == high) | (high == np.iinfo(value.dtype).min)


def first_row_of(owner: np.ndarray, n_owners: int) -> np.ndarray:
    """The first row of each owner code (len(owner) for owners without rows)."""
    first = np.full(n_owners, len(owner), dtype=np.int64)
    np.minimum.at(first, owner, np.arange(len(owner), dtype=np.int64))
    return first


def first_disagreement(owner: np.ndarray, value: np.ndarray) -> tuple[int, int] | None:
    """The first row whose value differs from the value on its owner's first row, and
    that earlier value; None when every owner has one value throughout."""
    n_owners = int(owner.max(initial=-1)) + 1
    if not _dense_enough(n_owners, len(owner)):  # sparse owner keys: number them
        owner = np.unique(owner, return_inverse=True)[1].reshape(-1)
        n_owners = int(owner.max(initial=-1)) + 1
    if same_within(owner, value, n_owners).all():  # the usual case: one cheap pass
        return None
    earlier = value[first_row_of(owner, n_owners)[owner]]
    row = int(np.argmax(value != earlier))
    return row, int(earlier[row])


def first_repeat(key: np.ndarray) -> int:
    """The first row whose key occurred on an earlier row, or -1."""
    size = int(key.max(initial=-1)) + 1
    if _dense_enough(size, len(key)):
        if np.bincount(key, minlength=size).max(initial=0) <= 1:
            return -1
    elif len(np.unique(key)) == len(key):
        return -1
    repeated = pd.Series(key).duplicated().to_numpy()
    return int(np.argmax(repeated)) if repeated.any() else -1


def rater_slots(coachee: np.ndarray, rater: np.ndarray) -> np.ndarray:
    """Number each (coachee, rater_id) once: a rater id is local to its coachee.

    When every rater id belongs to one coachee (ids unique across the file, the usual
    case) the rater codes already are the slots.
    """
    n_raters = int(rater.max(initial=-1)) + 1
    if bool(same_within(rater, coachee, n_raters).all()):
        return rater  # in its own integer type: a wider copy costs more than it saves
    return number_pairs(coachee, rater, n_raters)[0]


_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def labels_column(labels: list[str] | np.ndarray, codes: np.ndarray) -> pd.arrays.ArrowStringArray:
    """A pandas "str" column of ``labels[codes]``, decoded by pyarrow (no Python object
    per row)."""
    decoded = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)),
        pa.array(list(labels) or [""], type=pa.large_string()),
    ).dictionary_decode()
    return pd.array(decoded.to_pandas(types_mapper={pa.large_string(): _STR}.get), dtype="str")
