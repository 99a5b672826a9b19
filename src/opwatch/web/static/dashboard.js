// A project's charts: rows from the JSON API, one line per branch with its confidence band,
// the difference to the reference branch below, detections as markers (a click on one opens the
// metric's alerts). The view is the URL.
(function () {
  "use strict";
  const body = document.body.dataset;
  const slug = body.slug;
  const branches = body.branches.split(",");
  const reference = body.reference;  // the branch without comparison rows in the results
  const form = document.getElementById("controls");
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  let detections = [];

  function fromUrl() {
    const params = new URLSearchParams(location.search);
    for (const select of form.querySelectorAll("select")) {
      const value = params.get(select.name);
      if (value !== null && [...select.options].some(o => o.value === value)) select.value = value;
    }
  }

  function toUrl() {
    const params = new URLSearchParams();
    for (const select of form.querySelectorAll("select")) params.set(select.name, select.value);
    history.replaceState(null, "", location.pathname + "?" + params.toString() + location.hash);
  }

  function filters(chart) {
    const params = new URLSearchParams({ metric: chart.dataset.metric, statistic: chart.dataset.statistic });
    const percentile = form.elements.percentile.value;
    const parameter = chart.hasAttribute("data-percentile") ? percentile : chart.dataset.parameter;
    if (parameter) params.set("parameter", parameter);
    for (const select of form.querySelectorAll("select[data-dimension]")) {
      if (select.value !== "") params.set(select.name, select.value);
    }
    return params;
  }

  function api(params, extra) {
    const all = new URLSearchParams(params);
    for (const [key, value] of Object.entries(extra || {})) all.set(key, value);
    return `/api/v1/projects/${encodeURIComponent(slug)}/statistics?${all}`;
  }

  function band(rows, name, color) {
    const x = rows.map(r => r.xaxis_value);
    const line = { x, y: rows.map(r => r.point), name, mode: "lines+markers", line: { color }, legendgroup: name,
      customdata: rows.map(r => [r.lower, r.upper]),
      hovertemplate: "%{x}: %{y:.4g} [%{customdata[0]:.4g}, %{customdata[1]:.4g}]<extra>" + name + "</extra>" };
    const upper = { x, y: rows.map(r => r.upper), mode: "lines", line: { width: 0 }, showlegend: false,
      legendgroup: name, hoverinfo: "skip" };
    const lower = { x, y: rows.map(r => r.lower), mode: "lines", line: { width: 0 }, fill: "tonexty",
      fillcolor: color + "33", showlegend: false, legendgroup: name, hoverinfo: "skip" };
    return [upper, lower, line];
  }

  function markers(chart, params, byBranch) {
    const wanted = Object.fromEntries(params);
    const found = detections.filter(d => d.kind === "shift" && d.metric === wanted.metric
      && (d.statistic === wanted.statistic && (d.parameter || "") === (wanted.parameter || "")
          || (d.statistic === "histogram" && wanted.statistic === "percentile"))
      && [...form.querySelectorAll("select[data-dimension]")].every(s => s.value === "" || d[s.name] === s.value));
    return found.filter(d => byBranch[d.branch]).map(d => {
      const row = byBranch[d.branch].find(r => r.xaxis_value === d.xaxis_value);
      const change = d.relative_change !== null ? (100 * d.relative_change).toFixed(1) + "%" : d.magnitude.toPrecision(3);
      return { x: [d.xaxis_value], y: [row ? row.point : d.after], mode: "markers", showlegend: false,
        marker: { symbol: "triangle-up", size: 14, color: d.classification === "regression" ? "#b00020" : "#444" },
        name: "detection", meta: "detection",
        hovertemplate: `${d.classification} on ${d.branch} since ${d.xaxis_value}<br>${d.feature} ${d.before.toPrecision(4)} → ${d.after.toPrecision(4)} (${change})<br>score ${d.score.toFixed(1)}, ${d.technique}<br>click: its alerts<extra></extra>` };
    });
  }

  // A click on a detection opens the Alerts page of the chart's metric (the figcaption's link).
  // The branch's own point sits under the marker and is nearer in plotly's hover, so a click on
  // either, at a detection's x, counts.
  function linkMarkers(chart, plot) {
    if (plot.dataset.linked) return;
    plot.dataset.linked = "true";
    plot.on("plotly_click", (event) => {
      const days = plot.data.filter(t => t.meta === "detection").map(t => t.x[0]);
      const hit = event.points.some(p => p.data.meta === "detection" || days.includes(p.data.x[p.pointNumber]));
      if (hit) location.assign(chart.querySelector("a.alerts").href);
    });
  }

  const layout = (title) => ({ margin: { t: 24, r: 10, b: 40, l: 60 }, height: 280, title: { text: title, font: { size: 12 } },
    xaxis: { type: body.xaxis === "build_id" ? "category" : "date" }, legend: { orientation: "h" } });

  async function draw(chart) {
    const params = filters(chart);
    if (chart.hasAttribute("data-percentile")) {
      chart.querySelector(".title").textContent = `${chart.dataset.statistic} p${params.get("parameter")}`;
    }
    chart.querySelector("a.csv").href = api(params, { format: "csv" });
    chart.querySelector("a.json").href = api(params);
    const status = chart.querySelector(".status");
    const [rows, differences] = await Promise.all([
      fetch(api(params)).then(r => r.json()).then(r => r.rows || []),
      fetch(api(params, { comparison: "difference" })).then(r => r.json()).then(r => r.rows || []),
    ]);
    chart.dataset.rows = String(rows.length);
    status.textContent = rows.length ? "" : "No rows for this selection.";
    const byBranch = {};
    for (const row of rows) (byBranch[row.branch] = byBranch[row.branch] || []).push(row);
    const traces = branches.filter(b => byBranch[b]).flatMap((b, i) => band(byBranch[b], b, colors[i % colors.length]));
    const found = markers(chart, params, byBranch);
    chart.dataset.detections = String(found.length);
    const plot = chart.querySelector(".plot");
    Plotly.react(plot, traces.concat(found), layout(""), { responsive: true, displaylogo: false });
    linkMarkers(chart, plot);
    const diffs = branches.filter(b => b !== reference).map((b, i) => differences.filter(r => r.branch === b))
      .filter(r => r.length);
    const comparison = chart.querySelector(".plot.comparison");
    if (diffs.length) {
      const traces = diffs.flatMap((r, i) => band(r, `${r[0].branch} − ${reference}`, colors[(i + 1) % colors.length]));
      Plotly.react(comparison, traces, layout(`difference to ${reference}`), { responsive: true, displaylogo: false });
    } else {
      Plotly.purge(comparison);
    }
  }

  async function drawAll() {
    toUrl();
    const charts = [...document.querySelectorAll("figure.chart")];
    await Promise.all(charts.map(draw));
    document.body.dataset.drawn = String(Number(document.body.dataset.drawn || 0) + 1);
  }

  fromUrl();
  form.addEventListener("change", drawAll);
  fetch(`/api/v1/projects/${encodeURIComponent(slug)}/detections`).then(r => r.json())
    .then(r => { detections = r.rows || []; }).finally(drawAll);
})();
