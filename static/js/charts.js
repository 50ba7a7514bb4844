// Draws the charts a page describes in a <script type="application/json"> block whose
// id ends in "-data": {"charts": [{"canvas": id, "type": "bar"|"line"|"doughnut",
// "labels": [...], "datasets": [{"label", "data", "color", "axis"}], "percent": bool,
// "horizontal": bool, "axes": {"y": label, "y2": label}}]}. No inline script anywhere.
(function () {
  "use strict";
  var palette = ["#1f5fbf", "#2fb344", "#f59f00", "#d63939", "#ae3ec9", "#17a2b8", "#74b816", "#f76707", "#6574cd", "#868e96", "#e64980", "#0ca678"];

  function number(value) {
    return typeof value === "number" ? value.toLocaleString(document.documentElement.lang || undefined) : value;
  }

  function draw(spec) {
    var canvas = document.getElementById(spec.canvas);
    if (!canvas || typeof Chart === "undefined") { return; }
    var doughnut = spec.type === "doughnut";
    var datasets = spec.datasets.map(function (d, i) {
      var color = d.color || palette[i % palette.length];
      var set = {
        label: d.label,
        data: d.data,
        type: d.type || undefined,
        backgroundColor: doughnut ? palette.slice(0, d.data.length) : (d.fill || color),
        borderColor: doughnut ? "#fff" : color,
        borderWidth: doughnut ? 2 : (spec.type === "line" || d.type === "line" ? 2 : 0),
        pointRadius: (spec.labels || []).length < 20 ? 3 : 0,
        tension: 0.25,
        spanGaps: true,
        borderRadius: spec.type === "bar" ? 4 : 0,
        yAxisID: d.axis || (spec.horizontal ? undefined : "y")
      };
      if (d.dashed) { set.borderDash = [6, 4]; set.backgroundColor = "transparent"; set.borderWidth = 2; }
      return set;
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        legend: { display: doughnut || spec.datasets.length > 1, position: doughnut ? "right" : "bottom", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var v = ctx.parsed && typeof ctx.parsed === "object" ? (spec.horizontal ? ctx.parsed.x : ctx.parsed.y) : ctx.parsed;
              return (ctx.dataset.label ? ctx.dataset.label + ": " : (ctx.label ? ctx.label + ": " : "")) + number(v) + (spec.percent ? "%" : "");
            }
          }
        }
      }
    };
    if (!doughnut) {
      options.scales = {};
      var valueAxis = { beginAtZero: true, ticks: { callback: function (v) { return number(v) + (spec.percent ? "%" : ""); } }, grid: { color: "#eef1f5" } };
      if (spec.axes && spec.axes.y) { valueAxis.title = { display: true, text: spec.axes.y }; }
      if (spec.horizontal) {
        options.scales.x = valueAxis;
        options.scales.y = { grid: { display: false } };
      } else {
        options.scales.x = { grid: { display: false }, ticks: { maxTicksLimit: 8, autoSkip: true } };
        options.scales.y = valueAxis;
        if (spec.axes && spec.axes.y2) {
          options.scales.y2 = { position: "right", beginAtZero: false, grid: { display: false }, title: { display: true, text: spec.axes.y2 }, ticks: { callback: function (v) { return number(v); } } };
        }
      }
    }
    new Chart(canvas, { type: doughnut ? "doughnut" : spec.type, data: { labels: spec.labels, datasets: datasets }, options: options });
  }

  function drawAll() {
    document.querySelectorAll("script[type='application/json'][id$='-data']").forEach(function (node) {
      var data;
      try { data = JSON.parse(node.textContent); } catch (e) { return; }
      (data && data.charts || []).forEach(draw);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
