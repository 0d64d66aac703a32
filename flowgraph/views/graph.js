/* flowgraph graph views: draws every .fg-graph on the page with vis-network (inlined by the
   page), wires the search box, the carrier and firm filters and the fit button, and keeps
   each graph in window.flowgraph.graphs[id] (network, DataSets, render time) for tests. */
(function () {
  "use strict";
  var fg = window.flowgraph = window.flowgraph || {};
  fg.graphs = fg.graphs || {};

  function init(root) {
    var spec = JSON.parse(root.querySelector("script.fg-graph-data").textContent);
    var nodes = new vis.DataSet(spec.nodes);
    var edges = new vis.DataSet(spec.edges);
    var firmOf = {};
    spec.nodes.forEach(function (n) { firmOf[n.id] = n.firm || ""; });
    var hiddenFirms = new Set();
    var hiddenCarriers = new Set();
    var nodeView = new vis.DataView(nodes, {
      filter: function (n) { return !hiddenFirms.has(n.firm || ""); }
    });
    var edgeView = new vis.DataView(edges, {
      filter: function (e) {
        return !hiddenCarriers.has(e.carrier) && !hiddenFirms.has(firmOf[e.from]) &&
          !hiddenFirms.has(firmOf[e.to]);
      }
    });
    var canvas = root.querySelector(".fg-graph-canvas");
    var t0 = performance.now();
    var network = new vis.Network(canvas, { nodes: nodeView, edges: edgeView }, spec.options);
    var g = { network: network, nodes: nodes, edges: edges, nodeView: nodeView,
              edgeView: edgeView, spec: spec, rendered: false, renderMs: null };
    fg.graphs[root.id] = g;
    network.once("afterDrawing", function () {
      g.rendered = true;
      g.renderMs = performance.now() - t0;
      root.setAttribute("data-rendered", "1");
    });
    if (spec.options.physics && spec.options.physics.enabled) {
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({ physics: { enabled: false } });
      });
    }

    var countEl = root.querySelector(".fg-count");
    function showCount() {
      countEl.textContent = nodeView.length + " nodes, " + edgeView.length + " flows shown";
    }
    showCount();

    // search: nodes whose label or id contains the text; Enter selects and zooms to them
    var search = root.querySelector(".fg-search");
    var result = root.querySelector(".fg-search-result");
    function find(text) {
      text = text.trim().toLowerCase();
      if (!text) { return []; }
      return nodeView.getIds({
        filter: function (n) {
          return String(n.label).toLowerCase().indexOf(text) >= 0 ||
            String(n.id).toLowerCase().indexOf(text) >= 0;
        }
      });
    }
    function go() {
      var ids = find(search.value);
      result.textContent = search.value.trim() ? ids.length + " found" : "";
      network.selectNodes(ids);
      if (ids.length) {
        network.fit({ nodes: ids, animation: { duration: 300 }, maxZoomLevel: 1.5 });
      }
      return ids;
    }
    g.search = function (text) { search.value = text; return go(); };
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });
    search.addEventListener("search", go);

    // filters: a checkbox per carrier and per firm
    root.querySelectorAll(".fg-filter").forEach(function (box) {
      var key = box.getAttribute("data-filter");
      var hidden = key === "firm" ? hiddenFirms : hiddenCarriers;
      var inputs = box.querySelectorAll("input[type=checkbox]");
      var countSpan = box.querySelector(".fg-filter-count");
      function apply() {
        hidden.clear();
        inputs.forEach(function (i) {
          if (!i.checked) { hidden.add(i.getAttribute("data-" + key)); }
        });
        countSpan.textContent = (inputs.length - hidden.size) + "/" + inputs.length;
        nodeView.refresh();
        edgeView.refresh();
        showCount();
      }
      inputs.forEach(function (i) { i.addEventListener("change", apply); });
      box.querySelectorAll("button[data-all]").forEach(function (b) {
        b.addEventListener("click", function () {
          var on = b.getAttribute("data-all") === "1";
          inputs.forEach(function (i) { i.checked = on; });
          apply();
        });
      });
    });
    root.querySelector(".fg-fit").addEventListener("click", function () {
      network.fit({ animation: { duration: 300 } });
    });
  }

  function start() {
    document.querySelectorAll(".fg-graph").forEach(function (root, i) {
      if (!root.id) { root.id = "fg-graph-" + (i + 1); }
      if (!fg.graphs[root.id]) { init(root); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
