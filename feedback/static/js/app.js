// Draw every chart whose figure the page embeds as JSON, and count characters in
// limited text fields. No inline scripts, so a strict Content-Security-Policy holds.
(function () {
  "use strict";
  // plotly.js is large: it loads once a chart comes near the screen (or the page is
  // printed), so the page is usable at once, and each chart is drawn when seen.
  var plotly = null;
  // On paper every chart has the width of A4's printable area (as in the HTML report).
  var PRINT_WIDTH = 680;
  function printing() { return !!(window.matchMedia && window.matchMedia("print").matches); }
  function loadPlotly() {
    if (!plotly) {
      var meta = document.querySelector('meta[name="plotly-js"]');
      plotly = new Promise(function (resolve, reject) {
        if (window.Plotly || !meta) { resolve(window.Plotly); return; }
        var script = document.createElement("script");
        script.src = meta.getAttribute("content");
        script.onload = function () { resolve(window.Plotly); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return plotly;
  }
  function draw(el) {
    if (el.getAttribute("data-drawn")) { return Promise.resolve(); }
    el.setAttribute("data-drawn", "pending");
    return loadPlotly().then(function (Plotly) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!Plotly || !source) { return; }
      var figure = JSON.parse(source.textContent);
      fitToWidth(figure, printing() ? PRINT_WIDTH : el.clientWidth);
      if (printing()) { figure.layout.width = PRINT_WIDTH; }
      var config = { responsive: true, displaylogo: false, displayModeBar: false };
      return Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
        el.setAttribute("data-drawn", "yes");
      });
    });
  }
  // The server's layout is for a wide screen; on a narrow one the legend goes below
  // the plot, titles and labels get smaller, ticks fewer, and rows a little taller.
  function fitToWidth(figure, width) {
    if (width >= 640) { return; }
    var layout = figure.layout;
    figure.data.forEach(function (trace) {
      if (trace.type === "heatmap") {  // each cell has its value: no colour bar
        trace.showscale = false;
        trace.textfont = Object.assign({}, trace.textfont, { size: 9 });
      }
      if (trace.mode === "text") { trace.textfont = Object.assign({}, trace.textfont, { size: 9 }); }
    });
    layout.font = Object.assign({}, layout.font, { size: 11 });
    layout.title = Object.assign({}, layout.title, { font: { size: 14 } });
    layout.legend = Object.assign({}, layout.legend, { font: { size: 11 } });
    layout.margin = Object.assign({}, layout.margin, { t: 48, b: 170, l: 4, r: 4 });
    ["xaxis", "yaxis"].forEach(function (axis) {
      layout[axis] = Object.assign({}, layout[axis], { tickfont: { size: 10 }, automargin: true });
      if (layout[axis].range) { layout[axis].nticks = 6; }  // numeric axes only
      var title = layout[axis].title;
      if (title) {
        layout[axis].title = Object.assign({}, title, { font: { size: 11 } });
        if (title.text) { layout[axis].title.text = title.text.replace(" … ", "<br>"); }
      }
    });
    if (layout.xaxis.side === "top") {  // the heatmap: its headers below, slanted
      layout.xaxis.side = "bottom";
      layout.xaxis.tickangle = -40;
    }
    if (layout.height) { layout.height = Math.round(layout.height * 1.15) + 60; }
  }
  function drawCharts() {
    var charts = document.querySelectorAll("[data-figure]");
    if (!charts.length) { return; }
    // Before printing, every chart is drawn (those not seen yet) and set to the page's
    // width; afterwards they follow the screen again.
    function toPaper() {
      charts.forEach(function (el) {
        if (el.getAttribute("data-drawn") === "yes" && window.Plotly) {
          window.Plotly.relayout(el, { width: PRINT_WIDTH });
        } else {
          draw(el);
        }
      });
    }
    function toScreen() {  // drawn again from the figure, for the screen's width
      charts.forEach(function (el) {
        if (el.getAttribute("data-drawn") === "yes") {
          el.removeAttribute("data-drawn");
          draw(el);
        }
      });
    }
    window.addEventListener("beforeprint", toPaper);
    window.addEventListener("afterprint", toScreen);
    if (window.matchMedia) {
      var paper = window.matchMedia("print");
      if (paper.addEventListener) {
        paper.addEventListener("change", function (e) { (e.matches ? toPaper : toScreen)(); });
      }
    }
    if (!("IntersectionObserver" in window)) { charts.forEach(draw); return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { seen.unobserve(entry.target); draw(entry.target); }
      });
    }, { rootMargin: "100% 0px" });
    charts.forEach(function (el) { seen.observe(el); });
  }
  function countCharacters() {
    document.querySelectorAll("textarea[maxlength]").forEach(function (area) {
      var counter = document.createElement("div");
      counter.className = "counter";
      var update = function () {
        counter.textContent = area.value.length + " / " + area.getAttribute("maxlength");
      };
      area.addEventListener("input", update);
      area.insertAdjacentElement("afterend", counter);
      update();
    });
  }
  // A form sent back with a problem (a statement left unanswered): the page opens at
  // the first one (#first-problem in the form's address), and the focus goes there, so
  // that a keyboard or a screen reader starts where the answer is missing. The browser
  // does it by itself for the address's fragment; this covers a page reached without.
  function focusFirstProblem() {
    var first = document.getElementById("first-problem");
    if (!first || window.location.hash === "#first-problem") { return; }
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "start" });
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    countCharacters();
    focusFirstProblem();
  });
})();
