// Managers' pages: charts drawn from {{ data|json_script }} blocks (no inline script).
(function () {
  "use strict";
  var COLORS = ["#206bc4", "#2fb344", "#f76707", "#d63939", "#ae3ec9", "#0ca678"];

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function trend(canvas) {
    var source = data(canvas.dataset.source);
    if (!source) { return; }
    var names = (canvas.dataset.series || "").split(",");
    var datasets = names.map(function (name, i) {
      return {
        label: source.names[name] || name,
        data: source.series[name] || [],
        borderColor: COLORS[i % COLORS.length],
        backgroundColor: COLORS[i % COLORS.length],
        spanGaps: true,
        tension: 0.2
      };
    });
    new window.Chart(canvas, {
      type: canvas.dataset.chart === "bar" ? "bar" : "line",
      data: { labels: source.labels, datasets: datasets },
      options: { animation: false, responsive: true, maintainAspectRatio: false }
    });
  }

  function shares(canvas) {
    var source = data(canvas.dataset.source);
    if (!source) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: source.labels,
        datasets: [
          { label: source.actual_label, data: source.actual, backgroundColor: COLORS[0] },
          { label: source.target_label, data: source.target, backgroundColor: "#adb5bd" }
        ]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, max: 100 } }
      }
    });
  }

  function pie(canvas) {
    var source = data(canvas.dataset.source);
    if (!source) { return; }
    new window.Chart(canvas, {
      type: "doughnut",
      data: {
        labels: source.labels,
        datasets: [{ data: source.values, backgroundColor: COLORS }]
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false }
    });
  }

  function draw() {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = canvas.dataset.chart;
      if (kind === "shares") { shares(canvas); }
      else if (kind === "pie") { pie(canvas); }
      else { trend(canvas); }
      canvas.dataset.drawn = "1";
    });
  }

  // <select data-navigate>: each option's value is a page to open.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-navigate]")) {
      window.location.href = target.value;
    }
  });

  // Reassignment: "select all" ticks every listed client.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("input[data-select-all]")) {
      document.querySelectorAll("input[name=client]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
