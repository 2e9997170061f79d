// Draws the dashboard's charts from the JSON the page embeds; the same numbers are in the tables beside them.
(function () {
  "use strict";
  var COLOURS = ["#417690", "#e07b39", "#5b9e4d", "#b5465a", "#7a5fa8"];

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var common = { responsive: true, maintainAspectRatio: false, animation: false };

    new Chart(document.getElementById("chart-targets"), {
      type: "bar",
      data: {
        labels: data.targets.labels,
        datasets: [
          { label: data.targets.count_label, data: data.targets.count, backgroundColor: COLOURS[0] },
          { label: data.targets.target_label, data: data.targets.target, backgroundColor: "#c9d6df" }
        ]
      },
      options: common
    });

    new Chart(document.getElementById("chart-areas"), {
      type: "bar",
      data: {
        labels: data.areas.labels,
        datasets: data.areas.series.map(function (s, i) {
          return { label: s.label, data: s.data, backgroundColor: COLOURS[i % COLOURS.length] };
        })
      },
      options: Object.assign({}, common, { scales: { x: { stacked: true }, y: { stacked: true } } })
    });

    new Chart(document.getElementById("chart-trend"), {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: data.trend.series.map(function (s, i) {
          return { label: s.label, data: s.data, borderColor: COLOURS[i % COLOURS.length],
                   backgroundColor: COLOURS[i % COLOURS.length], tension: 0 };
        })
      },
      options: common
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
