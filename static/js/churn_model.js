// The churn model page: ROC curve and calibration chart (Chart.js). The data comes
// from the json_script block "churn-chart-data", the words from data- attributes.
(function () {
  "use strict";

  function points(xs, ys) {
    var out = [];
    for (var i = 0; i < Math.min(xs.length, ys.length); i++) {
      out.push({ x: xs[i], y: ys[i] });
    }
    return out;
  }

  function axes(xTitle, yTitle) {
    return {
      x: { type: "linear", min: 0, max: 1, title: { display: true, text: xTitle } },
      y: { type: "linear", min: 0, max: 1, title: { display: true, text: yTitle } },
    };
  }

  function draw() {
    var source = document.getElementById("churn-chart-data");
    var words = document.getElementById("churn-chart-words");
    if (!source || !words || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var w = words.dataset;
    var diagonal = [{ x: 0, y: 0 }, { x: 1, y: 1 }];
    var roc = document.getElementById("roc-chart");
    if (roc && data.roc && data.roc.model) {
      new window.Chart(roc, {
        type: "scatter",
        data: {
          datasets: [
            { label: w.model, data: points(data.roc.model.fpr, data.roc.model.tpr),
              showLine: true, pointRadius: 0, borderColor: "#1f5fbf", borderWidth: 2 },
            { label: w.hand, data: points(data.roc.hand.fpr, data.roc.hand.tpr),
              showLine: true, pointRadius: 0, borderColor: "#f59f00", borderWidth: 2 },
            { label: w.chance, data: diagonal, showLine: true, pointRadius: 0,
              borderColor: "#adb5bd", borderDash: [4, 4], borderWidth: 1 },
          ],
        },
        options: { animation: false, scales: axes(w.fpr, w.tpr) },
      });
    }
    var calibration = document.getElementById("calibration-chart");
    if (calibration && data.calibration && data.calibration.length) {
      var top = 0;
      data.calibration.forEach(function (b) {
        top = Math.max(top, b.predicted, b.observed);
      });
      top = Math.min(1, Math.max(0.05, Math.ceil(top * 20) / 20));
      var scales = axes(w.predicted, w.observed);
      scales.x.max = top;
      scales.y.max = top;
      new window.Chart(calibration, {
        type: "scatter",
        data: {
          datasets: [
            { label: w.model, showLine: true, borderColor: "#1f5fbf", backgroundColor: "#1f5fbf",
              data: data.calibration.map(function (b) { return { x: b.predicted, y: b.observed }; }) },
            { label: w.perfect, data: [{ x: 0, y: 0 }, { x: top, y: top }], showLine: true,
              pointRadius: 0, borderColor: "#adb5bd", borderDash: [4, 4], borderWidth: 1 },
          ],
        },
        options: { animation: false, scales: scales },
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
