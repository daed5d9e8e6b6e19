// Relatórios: draws each <canvas data-chart="id"> from the JSON in <script id="id"> with the
// vendored Chart.js (admin/static/vendor/chartjs, no CDN). Lines for time, bars for rankings.
(function () {
  "use strict";
  var brl = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
  var num = new Intl.NumberFormat("pt-BR");

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var fmt = spec.money ? function (v) { return brl.format(v); } : function (v) { return num.format(v); };
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = {};
    scales[valueAxis] = { beginAtZero: true, ticks: { callback: function (v) { return fmt(v); } } };
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          title: { display: true, text: spec.title },
          legend: { display: spec.datasets.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            var v = spec.horizontal ? ctx.parsed.x : ctx.parsed.y;
            return ctx.dataset.label + ": " + fmt(v);
          } } }
        }
      }
    });
    canvas.setAttribute("data-drawn", "1");
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
    // A preset period clears the custom dates, so the preset wins.
    Array.prototype.forEach.call(document.querySelectorAll("select[data-period]"), function (sel) {
      sel.addEventListener("change", function () {
        if (sel.value === "personalizado") return;
        Array.prototype.forEach.call(sel.form.querySelectorAll("input[type=date]"), function (i) { i.value = ""; i.disabled = true; });
        sel.form.submit();
      });
    });
  });
})();
