/* flowgraph: the period slider of the flow graph (views/timeline_graph.py). The graph is
   drawn once by graph.js; moving the slider swaps each edge's width, value and tooltip
   for the period's (an edge the period does not have is marked absent and graph.js leaves
   it out), fades the nodes the period does not have, and gives the click panel the
   period's balances and flows. Node positions and the graph's menus stay as they are.
   window.flowgraph.periodGraphs[id].show(i) steps to period i (for tests). */
(function () {
  "use strict";
  var fg = window.flowgraph = window.flowgraph || {};
  fg.periodGraphs = fg.periodGraphs || {};
  var FADED = 0.25, FADED_INK = "#9aa3ad";

  function swapEdges(g, row) {
    g.edges.update(g.spec.edges.map(function (e, j) {
      var d = row[j];
      if (!d) { return { id: e.id, absent: true, label: " " }; }
      return { id: e.id, absent: false, width: d[0], amount: d[1], title: d[2] };
    }));
  }

  function swapNodes(g, titles, period) {
    var ink = (g.spec.options.nodes.font || {}).color || "#1d2530";
    g.nodes.update(g.spec.nodes.map(function (n) {
      var t = titles[n.id];
      if (t === undefined) {
        return { id: n.id, opacity: FADED, font: { color: FADED_INK },
                 title: String(n.label).replace(/\n/g, " ") + ": not in " + period };
      }
      return { id: n.id, opacity: 1, font: { color: ink }, title: t };
    }));
  }

  // the click panel reads g.spec.panel.nodes (one object, kept) and g.spec.flows
  function swapPanel(root, g, panel, flows) {
    var info = g.spec.panel.nodes;
    Object.keys(info).forEach(function (k) { delete info[k]; });
    Object.assign(info, panel.nodes);
    g.spec.panel.solved = panel.solved;
    g.spec.panel.cost_unit = panel.cost_unit;
    g.spec.flows = flows;
    var open = root.querySelector(".fg-panel").getAttribute("data-node");
    if (open && !(g.showPanel(open))) { g.hidePanel(); }
  }

  function init(box) {
    var data = JSON.parse(box.querySelector("script.fg-period-graph-data").textContent);
    var root = box.querySelector(".fg-graph");
    var range = box.querySelector("input.fg-graph-period");
    var label = box.querySelector(".fg-graph-period-label");
    var state = { period: 0, periods: data.periods };
    state.show = function (i) {
      var g = fg.graphs && fg.graphs[root.id];
      state.period = i;
      range.value = String(i);
      label.textContent = data.periods[i];
      box.setAttribute("data-period", data.periods[i]);
      if (!g) { return; }
      swapEdges(g, data.edges[i]);
      swapNodes(g, data.nodes[i], data.periods[i]);
      g.nodeView.refresh();
      g.edgeView.refresh();
      swapPanel(root, g, data.panel[i], data.flows[i]);
      g.setLabels(g.labelMode);          // the period's values, the menu's choice kept
    };
    range.addEventListener("input", function () { state.show(+range.value); });
    box.setAttribute("data-period", data.periods[0]);
    if (!root.id) { root.id = "fg-period-graph-" + (Object.keys(fg.periodGraphs).length + 1); }
    fg.periodGraphs[root.id] = state;
  }

  function start() {
    document.querySelectorAll(".fg-period-graph").forEach(function (box) {
      if (!box.hasAttribute("data-period")) { init(box); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
