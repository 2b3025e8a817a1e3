"""Plotly figures built from the analysis's frames (DataFrame in, Figure out).

Figures never see a hidden figure: they are drawn from frames the anonymity guard has
already blanked, and they skip what is blank. Every chart also has a table on its page,
for screen readers and for print.
"""

import math

import pandas as pd
import plotly.graph_objects as go

#: Colours that stay apart for the common kinds of colour blindness (Okabe & Ito).
SELF_COLOUR = "#D55E00"
OTHERS_COLOUR = "#0072B2"
GROUP_COLOURS = {
    "boss": "#009E73",
    "peer": "#CC79A7",
    "subordinate": "#E69F00",
    "partner": "#56B4E9",
    "other": "#999999",
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
GROUP_NAMES = {
    "boss": "Boss",
    "peer": "Peers",
    "subordinate": "Subordinates",
    "partner": "Partners",
    "other": "Other raters",
}


def _layout(figure: go.Figure, *, title: str, height: int) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0},
        height=height,
        margin={"l": 10, "r": 10, "t": 90, "b": 50},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        font={"family": "system-ui, sans-serif", "size": 13},
        plot_bgcolor="white",
        hoverlabel={"align": "left"},
    )
    return figure


def _number(value) -> str:
    return (
        "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"
    )


def self_vs_others(competencies: pd.DataFrame, groups: tuple[str, ...]) -> go.Figure:
    """A dot plot per competency: the coachee's self-rating, others' mean and each shown
    group on one 1–5 line. Dots on a shared axis compare better than a radar chart, whose
    area exaggerates differences and whose order of spokes changes the picture."""
    frame = competencies.iloc[::-1]
    figure = go.Figure()
    y = frame["competency"].tolist()
    for group in groups:
        column = f"{group}_mean"
        if column not in frame or frame[column].isna().all():
            continue
        figure.add_trace(
            go.Scatter(
                x=frame[column],
                y=y,
                mode="markers",
                name=GROUP_NAMES[group],
                marker={"symbol": "circle-open", "size": 11, "color": GROUP_COLOURS[group]},
                customdata=frame[f"{group}_n"].astype("Float64").fillna(float("nan")),
                hovertemplate=(
                    f"{GROUP_NAMES[group]}: %{{x:.2f}} from %{{customdata:.0f}} raters"
                    "<extra>%{y}</extra>"
                ),
            )
        )
    figure.add_trace(
        go.Scatter(
            x=frame["others_mean"],
            y=y,
            mode="markers",
            name="Others (all raters)",
            marker={"symbol": "circle", "size": 14, "color": OTHERS_COLOUR},
            customdata=frame["others_n"].astype("Float64").fillna(float("nan")),
            hovertemplate=(
                "Others: %{x:.2f} on average from %{customdata:.0f} raters<extra>%{y}</extra>"
            ),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=frame["self"],
            y=y,
            mode="markers",
            name="Self",
            marker={"symbol": "diamond", "size": 14, "color": SELF_COLOUR},
            hovertemplate="Self-rating: %{x:.2f}<extra>%{y}</extra>",
        )
    )
    figure.update_xaxes(
        range=[0.8, 5.2],
        dtick=1,
        title="1 = strongly disagree … 5 = strongly agree",
        gridcolor="#e5e5e5",
    )
    figure.update_yaxes(gridcolor="#f0f0f0")
    return _layout(figure, title="Self and others by competency", height=120 + 48 * len(frame))


def gap_by_item(items: pd.DataFrame, item_texts: dict[str, str]) -> go.Figure:
    """A diverging bar per item: self minus others, sorted by gap, coloured and labelled
    by category, with rater agreement (rwg) in the hover text."""
    frame = items.dropna(subset=["gap"]).sort_values("gap")
    figure = go.Figure()
    for category, colour in CATEGORY_COLOURS.items():
        part = frame[frame["category"] == category]
        if part.empty:
            continue
        labels = [item_texts.get(key, key) for key in part["item_key"]]
        figure.add_trace(
            go.Bar(
                x=part["gap"],
                y=labels,
                orientation="h",
                name=category,
                marker={"color": colour},
                text=[category] * len(part),
                textposition="auto",
                customdata=list(
                    zip(
                        part["self"],
                        part["others_mean"],
                        part["rwg"].fillna(float("nan")),
                        strict=True,
                    )
                ),
                hovertemplate=(
                    "%{y}<br>Self %{customdata[0]:.1f} − others %{customdata[1]:.2f}"
                    " = gap %{x:+.2f}<br>Agreement among others (rwg) %{customdata[2]:.2f}"
                    "<extra>%{text}</extra>"
                ),
            )
        )
    figure.update_xaxes(
        title="← others rate higher · self rates higher →",
        zeroline=True,
        zerolinecolor="#333",
        gridcolor="#e5e5e5",
    )
    figure.update_yaxes(
        categoryorder="array", categoryarray=[item_texts.get(k, k) for k in frame["item_key"]]
    )
    return _layout(
        figure, title="Gap per statement (self − others)", height=140 + 26 * max(len(frame), 1)
    )
