// Draw every chart whose figure the page embeds as JSON, and count characters in
// limited text fields. No inline scripts, so a strict Content-Security-Policy holds.
(function () {
  "use strict";
  function drawCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      var config = { responsive: true, displaylogo: false };
      window.Plotly.newPlot(el, figure.data, figure.layout, config);
    });
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
