// Draw every chart whose figure the page embeds as JSON, and count characters in
// limited text fields. No inline scripts, so a strict Content-Security-Policy holds.
(function () {
  "use strict";
  // plotly.js is large: it loads once a chart comes near the screen (or the page is
  // printed), so the page is usable at once, and each chart is drawn when seen.
  var plotly = null;
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
      var config = { responsive: true, displaylogo: false };
      return Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
        el.setAttribute("data-drawn", "yes");
      });
    });
  }
  function drawCharts() {
    var charts = document.querySelectorAll("[data-figure]");
    if (!charts.length) { return; }
    window.addEventListener("beforeprint", function () { charts.forEach(draw); });
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
  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    countCharacters();
  });
})();
