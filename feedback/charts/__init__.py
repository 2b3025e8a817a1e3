"""Plotly figures built from the analysis's frames (DataFrame in, Figure out).

Figures never see a hidden figure: they are drawn from frames the anonymity guard has
already blanked, and they skip what is blank (a hidden group gets no trace, a hidden
cell stays empty and has no hover text). Every chart reads without colour too — each
series has its own marker symbol or fill pattern and the numbers are written on the
bars and cells — and every chart has a table with the same figures on its page, for
screen readers and for print.

Their texts (titles, axes, legends, hover texts) are in the page's language, and so are
the numbers written on them; built outside a request, they are in English.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

from ..i18n import GROUP_NAMES as GROUP_NAMES_SHOWN
from ..web.terms import term

#: Colours that stay apart for the common kinds of colour blindness (Okabe & Ito).
SELF_COLOUR = "#D55E00"
OTHERS_COLOUR = "#0072B2"
PREDICTED_COLOUR = "#6A3D9A"
GROUP_COLOURS = {
    "boss": "#009E73",
    "peer": "#CC79A7",
    "subordinate": "#E69F00",
    "partner": "#56B4E9",
    "other": "#999999",
}
#: A marker symbol per group, so the dot plot reads in black and white.
GROUP_SYMBOLS = {
    "boss": "square-open",
    "peer": "triangle-up-open",
    "subordinate": "triangle-down-open",
    "partner": "star-open",
    "other": "x-thin-open",
}
CATEGORY_COLOURS = {
    "blind spot": "#D55E00",
    "hidden strength": "#009E73",
    "others disagree": "#CC79A7",
    "agreed strength": "#0072B2",
    "agreed development area": "#E69F00",
    "aligned": "#999999",
    "not enough data": "#DDDDDD",
}
#: A fill pattern per category, for printing in black and white.
CATEGORY_PATTERNS = {
    "blind spot": "/",
    "hidden strength": "\\",
    "others disagree": "x",
    "agreed strength": ".",
    "agreed development area": "-",
    "aligned": "",
    "not enough data": "",
}
GROUP_NAMES = {
    "boss": "Boss",
    "peer": "Peers",
    "subordinate": "Subordinates",
    "partner": "Partners",
    "other": "Other raters",
}
#: Scale points 1..5: a diverging palette safe for colour blindness, and patterns.
SCORE_COLOURS = {1: "#A6611A", 2: "#DFC27D", 3: "#D9D9D9", 4: "#80CDC1", 5: "#018571"}
SCORE_PATTERNS = {1: "x", 2: "/", 3: "", 4: "\\", 5: "."}
#: The same diverging palette (brown to teal, BrBG) and patterns for every size of
#: scale a questionnaire may have (4 to 7 points); the middle, if any, is grey.
_PALETTES = {
    4: ["#A6611A", "#DFC27D", "#80CDC1", "#018571"],
    5: list(SCORE_COLOURS.values()),
    6: ["#8C510A", "#D8B365", "#F6E8C3", "#C7EAE5", "#5AB4AC", "#01665E"],
    7: ["#8C510A", "#D8B365", "#F6E8C3", "#D9D9D9", "#C7EAE5", "#5AB4AC", "#01665E"],
}
_PATTERNS = {
    4: ["x", "/", "\\", "."],
    5: list(SCORE_PATTERNS.values()),
    6: ["x", "/", "-", "|", "\\", "."],
    7: ["x", "/", "-", "", "|", "\\", "."],
}
#: The heatmap's scale: the same diverging colours, pale at the scale's middle (3).
SCORE_SCALE = [[(p - 1) / 4, SCORE_COLOURS[p] if p != 3 else "#F5F5F5"] for p in range(1, 6)]
SCALE_TITLE = "1 = strongly disagree … 5 = strongly agree"
#: The shipped questionnaire's scale, for callers that give none.
DEFAULT_SCALE = [
    (1, "Strongly disagree"),
    (2, "Disagree"),
    (3, "Neither agree nor disagree"),
    (4, "Agree"),
    (5, "Strongly agree"),
]


def score_colours(points: int) -> dict[int, str]:
    """Point -> colour on a scale of ``points`` points (4 to 7)."""
    return dict(enumerate(_PALETTES[points], start=1))


def score_patterns(points: int) -> dict[int, str]:
    """Point -> fill pattern on a scale of ``points`` points (4 to 7)."""
    return dict(enumerate(_PATTERNS[points], start=1))


def score_colourscale(points: int) -> list[list]:
    """The heatmap's colour scale over 1..``points``: the palette, pale in the middle."""
    colours = _PALETTES[points]
    return [
        [index / (points - 1), "#F5F5F5" if colour == "#D9D9D9" else colour]
        for index, colour in enumerate(colours)
    ]


def scale_title(scale: list[tuple[int, str]]) -> str:
    """An axis title that names the scale's ends: "1 = never … 4 = always"."""
    (low, low_label), (high, high_label) = scale[0], scale[-1]
    return f"{low} = {low_label.lower()} … {high} = {high_label.lower()}"


def _locale():
    """The page's locale when it writes numbers otherwise than English, else None."""
    locale = get_locale() if has_request_context() else None
    return None if locale is None or locale.language == "en" else locale


def _number(value: float, spec: str) -> str:
    """``value`` formatted by ``spec`` (".2f", "+.2f"), with the page's decimal sign."""
    shown = format(value, spec)
    locale = _locale()
    return shown if locale is None else shown.replace(".", get_decimal_symbol(locale))


def _group(group: str) -> str:
    """A group's name in the page's language."""
    return str(GROUP_NAMES_SHOWN[group])


def _group_named(label: str) -> str:
    """A group named by its English label (as the prediction table has it), in the
    page's language."""
    for key, english in GROUP_NAMES.items():
        if english == label:
            return _group(key)
    return label


def _layout(figure: go.Figure, *, title: str, height: int) -> go.Figure:
    locale = _locale()
    if locale is not None:  # plotly's own numbers (axes, hover texts): "3,25"
        figure.update_layout(
            separators=get_decimal_symbol(locale) + get_group_symbol(locale).strip()[:1]
        )
    figure.update_layout(
        title={"text": title, "x": 0},
        height=height,
        margin={"l": 10, "r": 10, "t": 60, "b": 130},
        # Below the axis title, at the foot of the chart, so that it covers nothing.
        legend={"orientation": "h", "x": 0, "y": 0, "yref": "container", "yanchor": "bottom"},
        font={"family": "system-ui, sans-serif", "size": 13},
        plot_bgcolor="white",
        hoverlabel={"align": "left"},
    )
    return figure


def short_label(text: str, width: int = 30, lines: int = 2) -> str:
    """A statement's text for a chart's axis: wrapped at ``width`` characters on at most
    ``lines`` lines (``<br>``), cut with "…" when longer. The full text is in the hover
    text and the table beside the chart."""
    words, rows, row = text.split(), [], ""
    for word in words:
        if row and len(row) + 1 + len(word) > width:
            rows.append(row)
            row = word
        else:
            row = f"{row} {word}".strip()
    rows.append(row)
    if len(rows) > lines:
        rows = rows[:lines]
        rows[-1] = rows[-1][: width - 1].rstrip(" ,;:") + "…"
    return "<br>".join(part[:width] for part in rows)


def _labels(keys, item_texts: dict[str, str]) -> tuple[list[str], list[str]]:
    """Short, distinct axis labels and the full texts of the statements ``keys``."""
    full = [item_texts.get(key, key) for key in keys]
    labels, seen = [], set()
    for text in full:
        label = base = short_label(text)
        number = 2
        while label in seen:  # plotly merges equal categories
            label, number = f"{base} ({number})", number + 1
        seen.add(label)
        labels.append(label)
    return labels, full


def _missing(value) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _floats(series: pd.Series) -> list[float | None]:
    """A column as plain floats, None where hidden (JSON null, never NaN)."""
    return [None if _missing(v) else float(v) for v in series.astype(object)]


def self_vs_others(
    competencies: pd.DataFrame,
    groups: tuple[str, ...],
    scale: list[tuple[int, str]] | None = None,
) -> go.Figure:
    """A dot plot per competency: the coachee's self-rating, others' mean and each shown
    group on one line from 1 to the top of ``scale`` (default: the shipped 1–5 scale).
    Dots on a shared axis compare better than a radar chart, whose area exaggerates
    differences and whose order of spokes changes the picture."""
    import plotly.graph_objects as go

    frame = competencies.iloc[::-1]
    figure = go.Figure()
    y = frame["competency"].tolist()
    for group in groups:
        column = f"{group}_mean"
        if column not in frame or frame[column].isna().all():
            continue
        figure.add_trace(
            go.Scatter(
                x=_floats(frame[column]),
                y=y,
                mode="markers",
                name=_group(group),
                marker={
                    "symbol": GROUP_SYMBOLS[group],
                    "size": 11,
                    "color": GROUP_COLOURS[group],
                    "line": {"width": 2},
                },
                customdata=_floats(frame[f"{group}_n"]),
                hovertemplate=_(
                    "%(group)s: %(mean)s, the mean of %(count)s answers",
                    group=_group(group),
                    mean="%{x:.2f}",
                    count="%{customdata:.0f}",
                )
                + "<extra>%{y}</extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=_floats(frame["others_mean"]),
            y=y,
            mode="markers",
            name=_("Others (all raters)"),
            marker={"symbol": "circle", "size": 14, "color": OTHERS_COLOUR},
            customdata=_floats(frame["others_n"]),
            hovertemplate=_(
                "%(group)s: %(mean)s, the mean of %(count)s answers",
                group=_("Others"),
                mean="%{x:.2f}",
                count="%{customdata:.0f}",
            )
            + "<extra>%{y}</extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=_floats(frame["self"]),
            y=y,
            mode="markers",
            name=_("Self"),
            marker={"symbol": "diamond", "size": 14, "color": SELF_COLOUR},
            customdata=_floats(frame["gap"]),
            hovertemplate=_("Self-rating: %(self_rating)s", self_rating="%{x:.2f}")
            + "<br>"
            + _("Gap (self − others): %(gap)s", gap="%{customdata:+.2f}")
            + "<extra>%{y}</extra>",
        )
    )
    scale = scale or DEFAULT_SCALE
    figure.update_xaxes(
        range=[0.8, len(scale) + 0.2], dtick=1, title=scale_title(scale), gridcolor="#e5e5e5"
    )
    figure.update_yaxes(gridcolor="#f0f0f0")
    return _layout(figure, title=_("Self and others by competency"), height=120 + 48 * len(frame))


def gap_by_item(
    items: pd.DataFrame,
    item_texts: dict[str, str],
    threshold: float = 0.5,
    scale_points: int = 5,
) -> go.Figure:
    """A diverging bar per item: self minus others, sorted by gap, coloured and patterned
    by category; each bar is labelled with its category and the raters' agreement (rwg),
    so both read without hovering and without colour. Agreement below ``threshold``
    (the rules' R) is marked "split". The axis spans the largest gap a scale of
    ``scale_points`` points allows."""
    import plotly.graph_objects as go

    frame = items.dropna(subset=["gap"]).sort_values("gap", kind="stable")
    figure = go.Figure()
    for category, colour in CATEGORY_COLOURS.items():
        part = frame[frame["category"] == category]
        if part.empty:
            continue
        labels, texts = _labels(part["item_key"], item_texts)
        rwg = _floats(part["rwg"])
        agreement = [
            "–"
            if r is None
            else (
                _("%(rwg)s (split)", rwg=_number(r, ".2f")) if r < threshold else _number(r, ".2f")
            )
            for r in rwg
        ]
        figure.add_trace(
            go.Bar(
                x=_floats(part["gap"]),
                y=labels,
                orientation="h",
                name=term(category),
                marker={
                    "color": colour,
                    "pattern": {"shape": CATEGORY_PATTERNS[category], "fgcolor": "#333"},
                    "line": {"color": "#333", "width": 0.5},
                },
                customdata=list(
                    zip(
                        _floats(part["self"]),
                        _floats(part["others_mean"]),
                        agreement,
                        texts,
                        strict=True,
                    )
                ),
                hovertemplate="%{customdata[3]}<br>"
                + _(
                    "Self %(self_score)s − others %(others)s = gap %(gap)s",
                    self_score="%{customdata[0]:.0f}",
                    others="%{customdata[1]:.2f}",
                    gap="%{x:+.2f}",
                )
                + "<br>"
                + _(
                    "Agreement among others (rwg, 0 = as spread as chance, 1 = all the same):"
                    " %(rwg)s",
                    rwg="%{customdata[2]}",
                )
                + f"<extra>{term(category)}</extra>",
            )
        )
    # The labels sit on the other side of the zero line, where the sorted bars leave
    # room: left of it for a positive gap, right of it for a negative one.
    # Each label gives the raters' agreement; the category is the bar's colour, pattern
    # and legend entry.
    gaps = _floats(frame["gap"])
    rwg = _floats(frame["rwg"])
    order, _texts = _labels(frame["item_key"], item_texts)
    figure.add_trace(
        go.Scatter(
            x=[-0.08 if g > 0 else 0.08 for g in gaps],
            y=order,
            mode="text",
            text=[
                "rwg –"
                if r is None
                else (
                    _("rwg %(rwg)s split", rwg=_number(r, ".2f"))
                    if r < threshold
                    else f"rwg {_number(r, '.2f')}"
                )
                for r in rwg
            ],
            textposition=["middle left" if g > 0 else "middle right" for g in gaps],
            textfont={"size": 11, "color": "#333"},
            hoverinfo="skip",
            showlegend=False,
            name="labels",
        )
    )
    # The axis's two directions, each at its own end, so they fit on a phone too.
    for x, text, anchor in (
        (-4.9, "← " + _("others rate higher"), "left"),
        (4.9, _("self rates higher") + " →", "right"),
    ):
        figure.add_annotation(
            x=x,
            y=0,
            xref="x",
            yref="paper",
            yshift=-34,
            text=text,
            showarrow=False,
            xanchor=anchor,
            yanchor="top",
            font={"size": 12, "color": "#333"},
        )
    figure.update_xaxes(
        zeroline=True,
        zerolinecolor="#333",
        gridcolor="#e5e5e5",
        range=[-(scale_points - 0.1), scale_points - 0.1],
    )
    figure.update_yaxes(categoryorder="array", categoryarray=order, automargin=True)
    return _layout(
        figure, title=_("Gap per statement (self − others)"), height=140 + 40 * max(len(frame), 1)
    )


def heatmap_columns(groups: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
    """The heatmap's columns: (label, mean column, count column) for self, each shown
    group and all others."""
    return [
        (_("Self"), "self", None),
        *[(_group(g), f"{g}_mean", f"{g}_n") for g in groups],
        (_("All others"), "others_mean", "others_n"),
    ]


def group_heatmap(
    competencies: pd.DataFrame, groups: tuple[str, ...], scale_points: int = 5
) -> go.Figure:
    """Groups compared: a heatmap of the mean per competency (rows) and group (columns:
    self, each shown group, all others), coloured over 1..``scale_points``. A hidden
    cell is empty, without hover text; every shown cell has its figure written in it."""
    import plotly.graph_objects as go

    columns = heatmap_columns(groups)
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    hover: list[list[str]] = []
    for row in competencies.to_dict("records"):
        z_row, text_row, hover_row = [], [], []
        for label, mean, count in columns:
            value = row.get(mean)
            if _missing(value):
                z_row.append(None)
                text_row.append("")
                hover_row.append("")
                continue
            n = row.get(count) if count else None
            z_row.append(float(value))
            shown = _number(float(value), ".2f")
            text_row.append(shown)
            where = {"label": label, "competency": row["competency"], "mean": shown}
            if n is not None and not _missing(n):
                said = _(
                    "%(label)s on %(competency)s: %(mean)s from %(count)s answers",
                    count=int(n),
                    **where,
                )
            else:
                said = _("%(label)s on %(competency)s: %(mean)s", **where)
            hover_row.append(said)
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[label for label, _mean, _count in columns],
            y=competencies["competency"].tolist(),
            zmin=1,
            zmax=scale_points,
            colorscale=score_colourscale(scale_points),
            text=text,
            texttemplate="%{text}",
            textfont={"size": 12},
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            hoverongaps=False,
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": _("mean")}, "thickness": 12},
        )
    )
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_xaxes(side="top")
    return _layout(
        figure,
        title=_("Groups compared (mean per competency)"),
        height=140 + 44 * len(competencies),
    )


def answer_spread(
    items: pd.DataFrame, item_texts: dict[str, str], scale: list[tuple[int, str]]
) -> go.Figure:
    """How many raters gave each score, per statement: stacked bars of the counts of
    each point of ``scale`` (1..A), the count written on each segment. Statements whose
    figures are hidden are left out."""
    import plotly.graph_objects as go

    labels = dict(scale)
    colours, patterns = score_colours(len(scale)), score_patterns(len(scale))
    frame = items[items["count_1"].notna()]
    y, texts = _labels(frame["item_key"], item_texts)
    figure = go.Figure()
    for point in range(1, len(scale) + 1):
        counts = _floats(frame[f"count_{point}"])
        figure.add_trace(
            go.Bar(
                x=counts,
                y=y,
                orientation="h",
                name=f"{point} {labels.get(point, '')}".strip(),
                marker={
                    "color": colours[point],
                    "pattern": {"shape": patterns[point], "fgcolor": "#333"},
                    "line": {"color": "#333", "width": 0.5},
                },
                text=[("" if not c else f"{c:.0f}") for c in counts],
                textposition="inside",
                textangle=0,
                insidetextanchor="middle",
                customdata=texts,
                hovertemplate="%{customdata}<br>"
                + _(
                    "%(count)s raters answered %(point)s (%(label)s)",
                    count="%{x:.0f}",
                    point=point,
                    label=labels.get(point, ""),
                )
                + "<extra></extra>",
            )
        )
    figure.update_layout(barmode="stack", legend={"traceorder": "normal"})
    figure.update_xaxes(title=_("raters"), gridcolor="#e5e5e5", dtick=1)
    figure.update_yaxes(autorange="reversed", automargin=True)
    return _layout(
        figure, title=_("Spread of answers per statement"), height=150 + 40 * max(len(frame), 1)
    )


def predictions(table: pd.DataFrame, scale: list[tuple[int, str]] | None = None) -> go.Figure:
    """Self, predicted and actual side by side per competency and group, from
    :func:`feedback.dashboard.insights.prediction_table` (shown groups only), on the
    cycle's ``scale`` (default: the shipped 1–5 scale)."""
    import plotly.graph_objects as go

    frame = table.iloc[::-1]
    y = [
        f"{c} · {_group_named(g)}"
        for c, g in zip(frame["competency"], frame["group_name"], strict=True)
    ]
    figure = go.Figure()
    for column, name, symbol, colour in (
        ("self", _("Self-rating"), "diamond", SELF_COLOUR),
        ("predicted", _("Predicted"), "x", PREDICTED_COLOUR),
        ("actual", _("Actual"), "circle", OTHERS_COLOUR),
    ):
        figure.add_trace(
            go.Scatter(
                x=_floats(frame[column]),
                y=y,
                mode="markers",
                name=name,
                marker={"symbol": symbol, "size": 12, "color": colour},
                customdata=[term(insight) for insight in frame["insight"]],
                hovertemplate=f"{name}: %{{x:.2f}}<br>%{{customdata}}<extra>%{{y}}</extra>",
            )
        )
    scale = scale or DEFAULT_SCALE
    figure.update_xaxes(
        range=[0.8, len(scale) + 0.2], dtick=1, title=scale_title(scale), gridcolor="#e5e5e5"
    )
    figure.update_yaxes(automargin=True)
    return _layout(
        figure,
        title=_("Self, predicted and actual by group"),
        height=120 + 30 * max(len(frame), 1),
    )


def trend(table: pd.DataFrame, scale_points: int = 5) -> go.Figure:
    """The change per competency between two cycles, for self, others and the gap, from
    the engine's trend frame: grouped bars, each with its own pattern and its figure;
    the axis spans the largest change a scale of ``scale_points`` points allows."""
    import plotly.graph_objects as go

    figure = go.Figure()
    y = table["competency"].tolist()
    for column, name, colour, pattern in (
        ("self_change", _("Self"), SELF_COLOUR, "/"),
        ("others_mean_change", _("Others"), OTHERS_COLOUR, "."),
        ("gap_change", _("Gap (self − others)"), "#999999", "x"),
    ):
        values = _floats(table[column])
        figure.add_trace(
            go.Bar(
                x=values,
                y=y,
                orientation="h",
                name=name,
                marker={
                    "color": colour,
                    "pattern": {"shape": pattern, "fgcolor": "#333"},
                    "line": {"color": "#333", "width": 0.5},
                },
                text=["" if v is None else _number(v, "+.2f") for v in values],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=_(
                    "%(series)s: %(change)s since the earlier cycle",
                    series=name,
                    change="%{x:+.2f}",
                )
                + "<extra>%{y}</extra>",
            )
        )
    figure.update_layout(barmode="group")
    figure.update_xaxes(
        title=_("change (later − earlier cycle)"),
        zeroline=True,
        zerolinecolor="#333",
        range=[-(scale_points - 1), scale_points - 1],
    )
    figure.update_yaxes(autorange="reversed", automargin=True)
    return _layout(figure, title=_("Change per competency"), height=140 + 70 * max(len(table), 1))
