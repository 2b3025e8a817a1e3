"""The formats :func:`feedback.analysis.io.write_gap_table` writes, apart from
:mod:`.io` so that the ``feedback analyze`` command's options need no pandas."""

#: Formats of :func:`feedback.analysis.io.write_gap_table`.
FORMATS: tuple[str, ...] = ("csv", "html", "xlsx")
