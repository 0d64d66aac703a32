/* flowgraph graph views: draws every .fg-graph on the page with vis-network (inlined by the
   page) and wires its tools: the search box, the carrier and firm filters, the flow-label
   menu, the fit button, the click panel (a node's balances, costs, inflows and outflows)
   and the PNG and SVG export. Each graph is kept in window.flowgraph.graphs[id] (network,
   DataSets, render time, png(), svg(), showPanel(id), setLabels(mode)) for tests. */
(function () {
  "use strict";
  var fg = window.flowgraph = window.flowgraph || {};
  fg.graphs = fg.graphs || {};
  var SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

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
    // an edge marked absent (a period without its flows: timeline_graph.js) is left out
    var edgeView = new vis.DataView(edges, {
      filter: function (e) {
        return !e.absent && !hiddenCarriers.has(e.carrier) &&
          !hiddenFirms.has(firmOf[e.from]) && !hiddenFirms.has(firmOf[e.to]);
      }
    });
    // the values go on the edges once the first frame has sized the node labels, where
    // they do not overlap (declutter)
    spec.edges.forEach(function (e) { delete e.label; });
    var canvas = root.querySelector(".fg-graph-canvas");
    var t0 = performance.now();
    var network = new vis.Network(canvas, { nodes: nodeView, edges: edgeView }, spec.options);
    var g = { network: network, nodes: nodes, edges: edges, nodeView: nodeView,
              edgeView: edgeView, spec: spec, rendered: false, renderMs: null,
              labelMode: spec.edge_labels || "none" };
    fg.graphs[root.id] = g;
    network.once("afterDrawing", function () {
      g.renderMs = performance.now() - t0;
      if (g.labelMode !== "none") { g.setLabels(g.labelMode); }
      g.rendered = true;
      root.setAttribute("data-rendered", "1");
    });
    if (spec.options.physics && spec.options.physics.enabled) {
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({ physics: { enabled: false } });
      });
    }

    var countEl = root.querySelector(".fg-count");
    function showCount() {
      var flows = 0;
      edgeView.forEach(function (e) { flows += e.members ? e.members.length : 1; });
      countEl.textContent = nodeView.length + " nodes, " + flows + " flows shown";
      countEl.title = "";
      if (g.labelsLeftOut) {
        countEl.textContent += "; " + g.labelsLeftOut + " label" +
          (g.labelsLeftOut > 1 ? "s" : "") + " hidden (overlap)";
        countEl.title = "Values that would overlap another value, a node or its label are " +
          "not written; hover over the flow for them";
      }
    }
    g.showCount = showCount;
    showCount();

    wireSearch(root, g);
    wireFilters(root, g, hiddenFirms, hiddenCarriers, showCount);
    wireLabels(root, g);
    wirePanel(root, g);
    wireFocus(g);
    wireExport(root, g);
    root.querySelector(".fg-fit").addEventListener("click", function () {
      network.fit({ animation: { duration: 300 } });
    });
  }

  // search: nodes whose label or id contains the text; Enter selects and zooms to them
  function wireSearch(root, g) {
    var search = root.querySelector(".fg-search");
    var result = root.querySelector(".fg-search-result");
    function find(text) {
      text = text.trim().toLowerCase();
      if (!text) { return []; }
      var names = (g.spec.panel && g.spec.panel.nodes) || {};
      return g.nodeView.getIds({
        filter: function (n) {
          var full = names[n.id] ? names[n.id].name : "";
          return String(n.label).toLowerCase().indexOf(text) >= 0 ||
            String(full).toLowerCase().indexOf(text) >= 0 ||
            String(n.id).toLowerCase().indexOf(text) >= 0;
        }
      });
    }
    function go() {
      var ids = find(search.value);
      result.textContent = search.value.trim() ? ids.length + " found" : "";
      g.network.selectNodes(ids);
      if (ids.length) {
        g.network.fit({ nodes: ids, animation: { duration: 300 }, maxZoomLevel: 1.5 });
      }
      return ids;
    }
    g.search = function (text) { search.value = text; return go(); };
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });
    search.addEventListener("search", go);
  }

  // filters: a checkbox per carrier and per firm
  function wireFilters(root, g, hiddenFirms, hiddenCarriers, showCount) {
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
        g.nodeView.refresh();
        g.edgeView.refresh();
        if (g.labelMode !== "none") { g.setLabels(g.labelMode); }
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
  }

  // what the flows say: nothing, their value (in the flow's unit or the measure), their
  // carrier, or both
  function edgeLabel(mode, e) {
    if (mode === "value") { return e.amount; }
    if (mode === "carrier") { return e.carrier; }
    if (mode === "both") { return e.carrier + " " + e.amount; }
    return "";
  }
  function wireLabels(root, g) {
    var select = root.querySelector(".fg-label-mode");
    g.setLabels = function (mode) {
      g.labelMode = mode;
      select.value = mode;
      var keep = declutter(g, mode);
      g.labelsLeftOut = 0;
      g.edges.update(g.edges.get().map(function (e) {
        var text = e.absent ? "" : edgeLabel(mode, e);
        if (text && !keep.has(e.id)) { text = ""; g.labelsLeftOut += 1; }
        // vis-network keeps an old label unless it is replaced by a string
        return { id: e.id, label: text || " " };
      }));
      if (g.showCount) { g.showCount(); }
      return mode;
    };
    select.addEventListener("change", function () { g.setLabels(select.value); });
  }

  // which shown edges keep their text: widest flows first, each where its text (at the
  // middle of the edge, as vis-network puts it) covers no kept text, node or node label
  function declutter(g, mode) {
    var keep = new Set();
    if (mode === "none") { return keep; }
    var body = g.network.body, font = g.spec.options.edges.font || {};
    var size = font.size || 12, pad = (font.strokeWidth || 0) / 2 + 1;
    var ctx = document.createElement("canvas").getContext("2d");
    ctx.font = size + "px " + (font.face || "arial");
    var boxes = [];
    function free(b) {
      return boxes.every(function (o) {
        return b[2] <= o[0] || o[2] <= b[0] || b[3] <= o[1] || o[3] <= b[1];
      });
    }
    g.nodeView.getIds().forEach(function (id) {
      var n = body.nodes[id];
      if (!n) { return; }
      var r = n.options.size || 10, s = n.labelModule && n.labelModule.size;
      boxes.push([n.x - r, n.y - r, n.x + r, n.y + r]);
      if (s && s.width) { boxes.push([s.left, s.top, s.left + s.width, s.top + s.height]); }
    });
    g.edgeView.get().filter(function (e) { return body.edges[e.id] && edgeLabel(mode, e); })
      .sort(function (a, b) { return (b.width || 0) - (a.width || 0); })
      .forEach(function (e) {
        var edge = body.edges[e.id], p;
        try { p = edge.edgeType.getPoint(0.5); } catch (err) { return; }
        var w = ctx.measureText(edgeLabel(mode, e)).width / 2 + pad, h = size / 2 + pad;
        var b = [p.x - w, p.y - h, p.x + w, p.y + h];
        if (free(b)) { boxes.push(b); keep.add(e.id); }
      });
    return keep;
  }

  // the click panel: a node's balances by layer, costs, inflows and outflows
  function wirePanel(root, g) {
    var panel = root.querySelector(".fg-panel");
    var info = (g.spec.panel && g.spec.panel.nodes) || {};
    var index = {};
    g.spec.nodes.forEach(function (n, i) { index[i] = n.id; });
    function table(head, rows, textCols) {
      var t = el("table");
      var tr = el("tr");
      head.forEach(function (h, k) {
        tr.appendChild(el("th", textCols.indexOf(k) >= 0 ? { "class": "text" } : {}, h));
      });
      t.appendChild(tr);
      rows.forEach(function (r) {
        var row = el("tr");
        r.forEach(function (c, k) {
          row.appendChild(el("td", textCols.indexOf(k) >= 0 ? { "class": "text" } : {}, c));
        });
        t.appendChild(row);
      });
      return t;
    }
    function flowsOf(pos, incoming) {
      return g.spec.flows.filter(function (f) { return (incoming ? f[3] : f[2]) === pos; })
        .map(function (f) {
          var other = index[incoming ? f[2] : f[3]];
          var name = info[other] ? info[other].name : other;
          return [f[1], name, f[4], f[5] + " " + f[6]];
        });
    }
    function show(id) {
      var d = info[id];
      if (!d) { return false; }
      var pos = g.spec.nodes.findIndex(function (n) { return n.id === id; });
      panel.textContent = "";
      var close = el("button", { type: "button", "class": "fg-panel-close",
                                 "aria-label": "Close" }, "×");
      close.addEventListener("click", hide);
      panel.appendChild(close);
      panel.appendChild(el("h4", {}, d.name));
      var facts = [id].concat(d.facts.map(function (f) {
        return f[0] === "kind" ? f[1] : f[0] + " " + f[1];
      }));
      panel.appendChild(el("p", { "class": "fg-panel-facts" }, facts.join(" · ")));
      if (d.given && d.given.length) {
        panel.appendChild(el("h5", {}, "Given" + (d.origin ? " (" + d.origin + ")" : "")));
        panel.appendChild(table(["", "value"], d.given, [0, 1]));
      }
      if (!g.spec.panel.solved) {
        panel.appendChild(el("p", { "class": "fg-panel-none" },
                             "Not solved: only the given quantities are known."));
      }
      if (d.balances && d.balances.length) {
        panel.appendChild(el("h5", {}, "Balances by layer"));
        panel.appendChild(table(["layer", "in", "out", "stock", "residual", "unit"],
                                d.balances, [0, 5]));
      }
      if (d.costs) {
        panel.appendChild(el("h5", {}, "Costs (" + g.spec.panel.cost_unit + ")"));
        panel.appendChild(table(["", g.spec.panel.cost_unit], d.costs, [0]));
      }
      [["Inflows", true, "from"], ["Outflows", false, "to"]].forEach(function (s) {
        var rows = flowsOf(pos, s[1]);
        panel.appendChild(el("h5", {}, s[0] + " (" + rows.length + ")"));
        if (rows.length) {
          panel.appendChild(table(["flow", s[2], "carrier", "quantity"], rows, [0, 1, 2]));
        } else {
          panel.appendChild(el("p", { "class": "fg-panel-none" }, "none"));
        }
      });
      panel.hidden = false;
      panel.setAttribute("data-node", id);
      return true;
    }
    function hide() {
      panel.hidden = true;
      panel.removeAttribute("data-node");
      if (g.focus) { g.focus(null); }
    }
    g.showPanel = show;
    g.hidePanel = hide;
    g.network.on("click", function (params) {
      if (params.nodes && params.nodes.length) {
        // the panel takes the side of the canvas away from the node clicked
        var left = params.pointer && params.pointer.DOM &&
          params.pointer.DOM.x < g.network.canvas.frame.canvas.clientWidth / 2;
        panel.classList.toggle("fg-panel-right", !!left);
        show(params.nodes[0]);
        g.focus(params.nodes[0]);
      } else {
        hide();
        g.focus(null);
      }
    });
  }

  // a node clicked: the flows not entering or leaving it fade, so its own read in a dense
  // drawing; nothing clicked: every flow as drawn (up to FOCUS_LIMIT edges)
  var FOCUS_LIMIT = 3000, FADED = 0.1;
  function wireFocus(g) {
    var base = {};
    g.spec.edges.forEach(function (e) { base[e.id] = e.color; });
    g.focused = null;
    g.focus = function (id) {
      if (g.spec.edges.length > FOCUS_LIMIT || g.focused === id) { return; }
      g.focused = id;
      g.edges.update(g.spec.edges.map(function (e) {
        var c = Object.assign({}, base[e.id]);
        if (id !== null && e.from !== id && e.to !== id) { c.opacity = FADED; }
        return { id: e.id, color: c };
      }));
    };
  }

  // export: PNG from vis-network's canvas on white; SVG drawn from the current positions
  function wireExport(root, g) {
    var base = String(g.spec.name || "graph").replace(/[^\w.-]+/g, "_").replace(/^_+|_+$/g, "");
    function save(href, ext) {
      var a = el("a", { href: href, download: (base || "graph") + "." + ext });
      a.style.display = "none";
      document.body.appendChild(a);
      a.click();
      document.body.removeChild(a);
    }
    g.png = function () {
      var src = root.querySelector(".fg-graph-canvas canvas");
      var out = document.createElement("canvas");
      out.width = src.width;
      out.height = src.height;
      var ctx = out.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, out.width, out.height);
      ctx.drawImage(src, 0, 0);
      return out.toDataURL("image/png");
    };
    g.svg = function () { return toSVG(g); };
    root.querySelector(".fg-png").addEventListener("click", function () {
      save(g.png(), "png");
    });
    root.querySelector(".fg-svg").addEventListener("click", function () {
      save("data:image/svg+xml;charset=utf-8," + encodeURIComponent(g.svg()), "svg");
    });
  }

  function attr(e, attrs) {
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function svgEl(tag, attrs) { return attr(document.createElementNS(SVGNS, tag), attrs); }
  function num(v) { return Math.round(v * 10) / 10; }

  function shapePath(shape, x, y, r) {
    var s2 = r, ir = Math.sqrt(3) / 6 * 2 * r, h = Math.sqrt(3) * r;
    if (shape === "diamond") {
      return "M" + num(x) + " " + num(y + r) + "L" + num(x + r) + " " + num(y) + "L" +
        num(x) + " " + num(y - r) + "L" + num(x - r) + " " + num(y) + "Z";
    }
    if (shape === "square") {
      return "M" + num(x - r) + " " + num(y - r) + "h" + num(2 * r) + "v" + num(2 * r) +
        "h" + num(-2 * r) + "Z";
    }
    if (shape === "triangle") {
      return "M" + num(x) + " " + num(y - (h - ir)) + "L" + num(x + s2) + " " + num(y + ir) +
        "L" + num(x - s2) + " " + num(y + ir) + "Z";
    }
    if (shape === "triangleDown") {
      return "M" + num(x) + " " + num(y + (h - ir)) + "L" + num(x + s2) + " " + num(y - ir) +
        "L" + num(x - s2) + " " + num(y - ir) + "Z";
    }
    return null;
  }

  // the drawing as SVG: edges as paths through points of vis-network's own curves (ends
  // trimmed at the nodes, an arrowhead at the head), nodes in their shapes and colours,
  // labels as text with a white halo; the view box holds every shown node and label
  function toSVG(g) {
    var body = g.network.body;
    var ids = g.nodeView.getIds().filter(function (id) { return body.nodes[id]; });
    var eids = g.edgeView.getIds().filter(function (id) { return body.edges[id]; });
    var box = { l: Infinity, t: Infinity, r: -Infinity, b: -Infinity };
    function grow(x1, y1, x2, y2) {
      box.l = Math.min(box.l, x1); box.t = Math.min(box.t, y1);
      box.r = Math.max(box.r, x2); box.b = Math.max(box.b, y2);
    }
    ids.forEach(function (id) {
      var bb = g.network.getBoundingBox(id);
      grow(bb.left, bb.top, bb.right, bb.bottom);
    });
    var svg = svgEl("svg", { xmlns: SVGNS, "font-family": "Arial, 'Liberation Sans', sans-serif" });
    var gEdges = svgEl("g", { "class": "edges", fill: "none" });
    var gLabels = svgEl("g", { "class": "edge-labels", "text-anchor": "middle" });
    eids.forEach(function (id) { drawEdge(g, body.edges[id], gEdges, gLabels, grow); });
    var gNodes = svgEl("g", { "class": "nodes" });
    ids.forEach(function (id) { drawNode(g, body.nodes[id], gNodes); });
    var pad = 20;
    var w = box.r - box.l + 2 * pad, h = box.b - box.t + 2 * pad;
    attr(svg, { viewBox: [num(box.l - pad), num(box.t - pad), num(w), num(h)].join(" "),
                width: Math.ceil(w), height: Math.ceil(h) });
    svg.appendChild(svgEl("rect", { x: num(box.l - pad), y: num(box.t - pad), width: num(w),
                                    height: num(h), fill: "#ffffff" }));
    svg.appendChild(gEdges);
    svg.appendChild(gNodes);
    svg.appendChild(gLabels);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg);
  }

  function drawEdge(g, edge, gEdges, gLabels, grow) {
    var o = edge.options, from = edge.from, to = edge.to;
    var pts = [];
    for (var k = 0; k <= 32; k++) { pts.push(edge.edgeType.getPoint(k / 32)); }
    var rFrom = (from.options.size || 10) + 1, rTo = (to.options.size || 10) + 2;
    pts = pts.filter(function (p) {
      return Math.hypot(p.x - from.x, p.y - from.y) > rFrom &&
        Math.hypot(p.x - to.x, p.y - to.y) > rTo;
    });
    if (pts.length < 2) { pts = [{ x: from.x, y: from.y }, { x: to.x, y: to.y }]; }
    var colour = (o.color && o.color.color) || "#4e6e9a";
    var width = o.width || 1;
    var d = "M" + pts.map(function (p) { grow(p.x, p.y, p.x, p.y); return num(p.x) + " " + num(p.y); })
      .join("L");
    var path = svgEl("path", { d: d, stroke: colour, "stroke-width": num(width),
                               "stroke-opacity": (o.color && o.color.opacity) || 1,
                               "data-id": edge.id });
    if (o.dashes) { path.setAttribute("stroke-dasharray", "6 4"); }
    gEdges.appendChild(path);
    var a = pts[pts.length - 2], b = pts[pts.length - 1];
    var len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    var ux = (b.x - a.x) / len, uy = (b.y - a.y) / len;
    var L = 6 + 2.2 * width, W = 3.5 + 1.4 * width;
    var tip = { x: b.x + ux * 2, y: b.y + uy * 2 };
    gEdges.appendChild(svgEl("path", {
      d: "M" + num(tip.x) + " " + num(tip.y) + "L" + num(tip.x - ux * L - uy * W) + " " +
        num(tip.y - uy * L + ux * W) + "L" + num(tip.x - ux * L + uy * W) + " " +
        num(tip.y - uy * L - ux * W) + "Z", fill: colour, stroke: "none" }));
    if (o.label && o.label.trim()) {
      var mid = edge.edgeType.getPoint(0.5);
      var t = svgEl("text", { x: num(mid.x), y: num(mid.y + 4), "font-size": 12, fill: "#3b4654",
                              stroke: "#ffffff", "stroke-width": 4, "paint-order": "stroke" });
      t.textContent = o.label;
      gLabels.appendChild(t);
    }
  }

  function drawNode(g, node, gNodes) {
    var o = node.options, x = node.x, y = node.y, r = o.size || 10;
    var c = o.color || {};
    var grp = svgEl("g", { "class": "node", "data-id": node.id });
    var style = { fill: c.background || "#a3acb6", stroke: c.border || "#555",
                  "stroke-width": o.borderWidth || 1.5 };
    if (o.shapeProperties && o.shapeProperties.borderDashes) {
      style["stroke-dasharray"] = o.shapeProperties.borderDashes.join(" ");
    }
    var d = shapePath(o.shape, x, y, r);
    grp.appendChild(d ? svgEl("path", Object.assign({ d: d }, style))
                      : svgEl("circle", Object.assign({ cx: num(x), cy: num(y), r: num(r) }, style)));
    var lab = node.labelModule, text = o.label || "";
    if (text && lab && lab.size && lab.size.width) {
      var lines = text.split("\n"), s = lab.size, fs = (o.font && o.font.size) || 14;
      var lh = s.height / lines.length;
      grp.appendChild(svgEl("rect", { x: num(s.left), y: num(s.top), width: num(s.width),
                                      height: num(s.height), fill: "#ffffff", "fill-opacity": 0.85 }));
      var t = svgEl("text", { "font-size": fs, fill: "#1d2530", "text-anchor": "middle" });
      lines.forEach(function (line, i) {
        var span = svgEl("tspan", { x: num(s.left + s.width / 2), y: num(s.top + lh * i + lh * 0.78) });
        span.textContent = line;
        t.appendChild(span);
      });
      grp.appendChild(t);
    }
    gNodes.appendChild(grp);
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
