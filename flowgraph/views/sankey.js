/* flowgraph Sankey diagrams: draws every .fg-sankey on the page as SVG from its JSON (the
   layout is computed in Python: flowgraph/views/sankey_layout.py). Fits node labels into
   the boxes they are given (wrapped, shortened with an ellipsis, the full name in the
   tooltip; a line may break after a hyphen), puts values on links where they collide with
   nothing (three figures, k/M/G from 10,000 on), switches measure,
   grouping and bundling without reloading, exports SVG and PNG. Works offline: no request
   leaves the page. window.flowgraph.sankeys[id] keeps each diagram's state for tests. */
(function () {
  "use strict";
  var fg = window.flowgraph = window.flowgraph || {};
  fg.sankeys = fg.sankeys || {};
  if (fg.sankeyScript) { return; }          // the script may be on the page twice
  fg.sankeyScript = true;

  var NS = "http://www.w3.org/2000/svg";
  var FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", ' +
               '"Noto Sans CJK SC", sans-serif';
  var LABEL = 12, VALUE = 10, ARROW = 8;
  var KIND_RANK = { material: 0, water: 1, energy: 2, emission: 3 };

  // -- numbers: flowgraph.numbers.fmt -------------------------------------------------------
  function thousands(s) {
    var neg = s.charAt(0) === "-";
    var parts = (neg ? s.slice(1) : s).split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + parts.join(".");
  }
  function stripZeros(s) {
    return s.indexOf(".") < 0 ? s : s.replace(/0+$/, "").replace(/\.$/, "");
  }
  function exponent(v, digits) {
    return parseInt(v.toExponential(digits - 1).split("e")[1], 10);
  }
  function fmt(v, digits) {
    digits = digits || 6;
    if (v === null || v === undefined) { return ""; }
    if (typeof v !== "number") { return String(v); }
    if (isNaN(v)) { return "unknown"; }
    if (!isFinite(v)) { return v > 0 ? "inf" : "-inf"; }
    if (v === 0) { return "0"; }
    var a = Math.abs(v), e = exponent(v, digits);
    if (a >= 1e15 || a < 1e-4) {
      if (e < -4 || e >= digits) {
        var m = v.toExponential(digits - 1).split("e");
        return stripZeros(m[0]) + "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") +
          Math.abs(e);
      }
      return stripZeros(v.toPrecision(digits));
    }
    if (e >= digits) { return thousands(v.toFixed(0)); }
    return thousands(stripZeros(v.toPrecision(digits)));
  }
  fg.fmt = fg.fmt || fmt;
  /* a value on a link: three figures, from 10,000 on with k (thousand), M (million),
     G (billion) or T (10^12) so that long amounts stay short (the tooltip has them whole) */
  var SUFFIXES = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  function short(v) {
    var a = Math.abs(v);
    if (!isFinite(v) || a < 1e4) { return fmt(v, 3); }
    for (var i = 0; i < SUFFIXES.length; i++) {
      var scale = SUFFIXES[i][0];
      if (a < scale) { continue; }
      var r = Number((v / scale).toPrecision(3));
      if (Math.abs(r) >= 1000 && i > 0) { r = Number((v / SUFFIXES[i - 1][0]).toPrecision(3)); i -= 1; }
      return fmt(r, 3) + SUFFIXES[i][1];
    }
    return fmt(v, 3);
  }
  fg.shortValue = short;

  // -- text ----------------------------------------------------------------------------------
  var ctx = document.createElement("canvas").getContext("2d");
  function textWidth(text, size) {
    ctx.font = size + "px " + FAMILY;
    return ctx.measureText(text).width;
  }
  function shorten(text, width, size) {
    if (textWidth(text, size) <= width) { return text; }
    var lo = 0, hi = text.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (textWidth(text.slice(0, mid).replace(/\s+$/, "") + "…", size) <= width) { lo = mid; }
      else { hi = mid - 1; }
    }
    return lo > 0 ? text.slice(0, lo).replace(/\s+$/, "") + "…" : "";
  }
  /* lines of at most `width` px, at most maxLines; the last one shortened if need be */
  /* words, and the parts of hyphenated words (a line may break after a hyphen) */
  function pieces(text) {
    var out = [];
    text.split(/\s+/).forEach(function (w) {
      var parts = w.split(/(?<=-)(?=[^-])/);
      parts.forEach(function (p, k) { out.push({ text: p, glue: k > 0 ? "" : " " }); });
    });
    return out;
  }
  function join(ps) {
    return ps.map(function (p, k) { return (k ? p.glue : "") + p.text; }).join("");
  }
  function fitLines(text, width, maxLines, size) {
    if (textWidth(text, size) <= width || maxLines <= 1) { return [shorten(text, width, size)]; }
    var ps = pieces(text), lines = [], cur = [];
    for (var i = 0; i < ps.length; i++) {
      var next = cur.concat([ps[i]]);
      if (!cur.length || textWidth(join(next), size) <= width) { cur = next; continue; }
      lines.push(shorten(join(cur), width, size));
      cur = [ps[i]];
      if (lines.length === maxLines - 1) { cur = ps.slice(i); break; }
    }
    lines.push(shorten(join(cur), width, size));
    return lines.filter(function (s) { return s; });
  }

  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) {
      if (attrs[k] !== null && attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); }
    }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function title(parent, text) { el("title", {}, parent, text); }

  // -- the links of a view, bundled -----------------------------------------------------------
  function bandsOf(spec, state, view) {
    var grouping = spec.grouping[state.group], out = [], byKey = {};
    view.links.forEach(function (l, i) {
      var b = grouping.bundles[l[0]];
      var link = { index: i, s: b[0], t: b[1], carriers: [b[2]], kind: b[3], neg: b[4],
                   flows: [b[5]], value: l[1], drawn: l[2], sy: l[3], ty: l[4], w: l[5],
                   folded: !!l[6], side: l[7], xd: l[8], yl: l[9], xa: l[10], count: 1 };
      if (state.bundle === "carrier" || link.side) { out.push(link); return; }
      var key = link.s + "|" + link.t + (state.bundle === "kind" ? "|" + link.kind + link.neg : "");
      var m = byKey[key];
      if (!m) { byKey[key] = link; out.push(link); return; }
      var top = Math.min(m.sy - m.w / 2, link.sy - link.w / 2);
      var bot = Math.max(m.sy + m.w / 2, link.sy + link.w / 2);
      var top2 = Math.min(m.ty - m.w / 2, link.ty - link.w / 2);
      var bot2 = Math.max(m.ty + m.w / 2, link.ty + link.w / 2);
      m.w = Math.max(bot - top, bot2 - top2);
      m.sy = (top + bot) / 2;
      m.ty = (top2 + bot2) / 2;
      m.value += link.value;
      m.drawn += link.drawn;
      m.count += 1;
      if (m.carriers.indexOf(link.carriers[0]) < 0) { m.carriers.push(link.carriers[0]); }
      m.flows.push(link.flows[0]);
      if (m.kind !== link.kind || m.neg !== link.neg) { m.kind = "mixed"; m.neg = false; }
    });
    return out;
  }
  function colourOf(spec, link) {
    if (link.neg) { return spec.colours.negative; }
    return spec.colours[link.kind] || spec.colours.mixed;
  }

  // -- drawing ---------------------------------------------------------------------------------
  function bezier(p0, p1, p2, p3, t) {
    var u = 1 - t;
    return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
  }
  function returnPath(l, sx, tx) {
    var dir = l.side === "top" ? -1 : 1;
    var r = Math.max(2, Math.min(l.w / 2 + 4, Math.abs(l.yl - l.sy) / 2,
                                 Math.abs(l.yl - l.ty) / 2, l.xd - sx, tx - l.xa));
    return ["M", sx, l.sy, "H", l.xd - r, "Q", l.xd, l.sy, l.xd, l.sy + dir * r,
            "V", l.yl - dir * r, "Q", l.xd, l.yl, l.xd - r, l.yl, "H", l.xa + r,
            "Q", l.xa, l.yl, l.xa, l.yl - dir * r, "V", l.ty + dir * r,
            "Q", l.xa, l.ty, l.xa + r, l.ty, "H", tx].join(" ");
  }

  function draw(sk) {
    var spec = sk.spec, state = sk.state;
    var view = spec.views[state.measure + "|" + state.group];
    var m = spec.measures.filter(function (x) { return x.name === state.measure; })[0];
    sk.canvas.innerHTML = "";
    sk.linkCount = 0;
    sk.note.textContent = view ? view.note : "";
    sk.svg = null;
    if (!view) {
      var p = document.createElement("p");
      p.className = "fg-sankey-empty";
      p.textContent = spec.empty[state.measure] || "Nothing to draw.";
      sk.canvas.appendChild(p);
      legend(sk, null, []);
      return done(sk);
    }
    var W = view.width, H = view.height;
    var svg = el("svg", { xmlns: NS, viewBox: "0 0 " + W + " " + H, width: W, height: H,
                          "font-family": FAMILY, role: "img", class: "fg-sankey-svg",
                          "aria-label": "Sankey diagram: " + m.title + " (" + m.unit + ")" },
                 sk.canvas);
    sk.svg = svg;
    el("rect", { x: 0, y: 0, width: W, height: H, fill: "#ffffff" }, svg);
    var nodes = spec.grouping[state.group].nodes;
    var boxes = {};
    view.nodes.forEach(function (n) { boxes[n[0]] = n; });
    var bands = bandsOf(spec, state, view);
    var big = state.values && bands.some(function (l) { return l.value >= 1e4; });
    el("text", { x: 4, y: 15, "font-size": LABEL, "font-weight": 600, fill: "#1b2733",
                 class: "fg-sankey-caption" }, svg,
       m.title + " (" + m.unit + ") · " + groupTitle(spec, state) + " · values in " + m.unit +
       (big ? " (k thousand, M million, G billion)" : ""));
    var gl = el("g", { class: "fg-links", fill: "none" }, svg);
    var gn = el("g", { class: "fg-nodes" }, svg);
    var gt = el("g", { class: "fg-labels", "font-size": LABEL, fill: "#1b2733" }, svg);
    var gv = el("g", { class: "fg-values", "font-size": VALUE, fill: "#1b2733",
                       "text-anchor": "middle" }, svg);
    bands.forEach(function (l) { drawLink(sk, gl, l, boxes, nodes, m); });
    var labelBoxes = [];
    view.nodes.forEach(function (n) { drawNode(sk, gn, gt, n, nodes[n[0]], m, labelBoxes); });
    sk.bands = bands;
    if (state.values) { drawValues(sk, gv, bands, boxes, labelBoxes, W, H); }
    legend(sk, view, bands);
    return done(sk);
  }
  function done(sk) {
    sk.rendered = true;
    sk.root.setAttribute("data-rendered", "1");
    return sk;
  }
  function groupTitle(spec, state) {
    var g = spec.groups.filter(function (x) { return x.name === state.group; })[0];
    return g.name === "node" ? "each node" : "grouped by " + g.title;
  }

  function drawLink(sk, g, l, boxes, nodes, m) {
    var s = boxes[l.s], t = boxes[l.t], colour = colourOf(sk.spec, l), d;
    if (l.side) {
      var tx = t[1] - ARROW;
      d = returnPath(l, s[3], tx);
      var head = el("polygon", {
        points: [tx, l.ty - l.w / 2 - 2.5, t[1], l.ty, tx, l.ty + l.w / 2 + 2.5].join(" "),
        fill: colour, "fill-opacity": 0.85, class: "fg-arrow", "data-arrow": l.index }, g);
      head.setAttribute("data-s", l.s);
      head.setAttribute("data-t", l.t);
    } else {
      var x0 = s[3], x1 = t[1], xm = (x0 + x1) / 2;
      d = ["M", x0, l.sy, "C", xm, l.sy, xm, l.ty, x1, l.ty].join(" ");
    }
    var path = el("path", {
      d: d, stroke: colour, "stroke-width": Math.max(l.w, 1), "stroke-opacity": l.side ? 0.6 : 0.42,
      "stroke-dasharray": l.folded ? "5 3" : null, class: "fg-link" + (l.side ? " fg-return" : ""),
      "data-link": l.bandIndex = (sk.linkCount = (sk.linkCount || 0) + 1) - 1,
      "data-source": nodes[l.s][0], "data-target": nodes[l.t][0], "data-value": l.value,
      "data-drawn": l.drawn, "data-carrier": l.carriers.join(", "), "data-flows": l.count }, g);
    path.setAttribute("data-s", l.s);
    path.setAttribute("data-t", l.t);
    var what = l.carriers.join(", ") + (l.neg ? " (negative product)" : "");
    var text = what + "\n" + nodes[l.s][2] + " → " + nodes[l.t][2] + "\n" + fmt(l.value) + " " +
      m.unit + (l.drawn < l.value * (1 - 1e-9) ?
        (l.folded ? "\nfolded loop: drawn as a thin dashed arrow" :
         "\ndrawn at its net " + fmt(l.drawn) + " " + m.unit + " (a loop is folded)") : "") +
      "\nflows: " + l.flows.join(", ");
    title(path, text);
  }

  function drawNode(sk, gn, gt, n, node, m, labelBoxes) {
    var h = Math.max(n[4] - n[2], 1);
    var rect = el("rect", { x: n[1], y: n[2], width: n[3] - n[1], height: h, fill: node[3],
                            stroke: "rgba(0,0,0,0.35)", "stroke-width": 0.5,
                            class: "fg-node", "data-node": node[0], "data-s": n[0],
                            "data-in": n[9], "data-out": n[10] }, gn);
    var tip = node[2] + "\nin: " + fmt(n[9]) + " " + m.unit + "\nout: " + fmt(n[10]) + " " + m.unit;
    title(rect, tip);
    var width = n[7] - n[5], maxLines = Math.max(1, Math.floor((n[8] - n[6]) / sk.spec.line));
    var lines = fitLines(node[1], width, Math.min(maxLines, 4), LABEL);
    var block = lines.length * sk.spec.line;
    var top = Math.min(Math.max((n[2] + n[4]) / 2 - block / 2, n[6]), n[8] - block);
    var text = el("text", { x: n[5], y: top, class: "fg-node-label", "data-node": node[0],
                            "data-s": n[0], "paint-order": "stroke", stroke: "#ffffff",
                            "stroke-width": 3, "stroke-linejoin": "round" }, gt);
    lines.forEach(function (line, k) {
      el("tspan", { x: n[5], y: top + k * sk.spec.line + sk.spec.line * 0.78 }, text, line);
    });
    title(text, tip);
    // the browser's own measure has the last word: shorten what still runs over
    [].forEach.call(text.querySelectorAll("tspan"), function (ts) {
      var guard = 0;
      while (ts.getComputedTextLength() > width + 0.5 && guard++ < 200) {
        var s = ts.textContent.replace(/…$/, "");
        ts.textContent = s.slice(0, -1).replace(/\s+$/, "") + "…";
        if (s.length <= 1) { break; }
      }
    });
    var bb = text.getBBox();
    labelBoxes.push(bb.width > 0 ? [bb.x, bb.y, bb.x + bb.width, bb.y + bb.height] :
                    [n[5], top, n[5] + width, top + block]);
    labelBoxes.push([n[1], n[2], n[3], n[2] + h]);
  }

  function overlaps(a, list) {
    for (var i = 0; i < list.length; i++) {
      var b = list[i];
      if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) { return true; }
    }
    return false;
  }
  function drawValues(sk, g, bands, boxes, taken, W, H) {
    var order = bands.slice().sort(function (a, b) { return b.value - a.value; });
    var top = sk.spec.caption;
    order.forEach(function (l) {
      var text = short(l.value), tw = textWidth(text, VALUE) + 4, th = 12;
      var spots = [];
      var s = boxes[l.s], t = boxes[l.t];
      if (l.side) {
        var lo = l.xa + tw / 2 + 6, hi = l.xd - tw / 2 - 6;
        [0.5, 0.3, 0.7, 0.15, 0.85].forEach(function (f) {
          if (hi >= lo) { spots.push([lo + (hi - lo) * f, l.yl]); }
        });
      } else {
        var x0 = s[3], x1 = t[1], xm = (x0 + x1) / 2;
        var shifts = [0];
        for (var k = 1; (k + 0.5) * th <= l.w / 2; k++) { shifts.push(k * th, -k * th); }
        shifts.forEach(function (dy) {
          [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8].forEach(function (f) {
            var x = bezier(x0, xm, xm, x1, f), y = bezier(l.sy, l.sy, l.ty, l.ty, f) + dy;
            if (x - tw / 2 >= x0 + 2 && x + tw / 2 <= x1 - 2) { spots.push([x, y]); }
          });
        });
      }
      for (var i = 0; i < spots.length; i++) {
        var x = spots[i][0], y = spots[i][1];
        var box = [x - tw / 2, y - th / 2, x + tw / 2, y + th / 2];
        if (box[0] < 0 || box[2] > W || box[1] < top || box[3] > H || overlaps(box, taken)) {
          continue;
        }
        taken.push(box);
        var v = el("text", { x: x, y: y + 3.5, class: "fg-value", "data-link": l.bandIndex,
                             "paint-order": "stroke", stroke: "#ffffff", "stroke-width": 2.5,
                             "stroke-linejoin": "round" }, g, text);
        v.setAttribute("data-s", l.s);
        v.setAttribute("data-t", l.t);
        break;
      }
    });
  }

  // -- legend, tools, export -------------------------------------------------------------------
  function legend(sk, view, bands) {
    var box = sk.legend, spec = sk.spec;
    box.innerHTML = "";
    if (!view) { return; }
    var seen = {}, items = [];
    bands.forEach(function (l) {
      var key = l.neg ? "negative" : (spec.colours[l.kind] ? l.kind : "mixed");
      if (!seen[key]) { seen[key] = true; items.push(key); }
    });
    items.sort(function (a, b) { return (KIND_RANK[a] || 9) - (KIND_RANK[b] || 9); });
    var words = { negative: "negative product (loss, waste, emission)", mixed: "several kinds",
                  added: "added at the centres" };
    items.forEach(function (k) {
      var span = document.createElement("span");
      span.innerHTML = '<i style="background:' + spec.colours[k] + '"></i>';
      span.appendChild(document.createTextNode(words[k] || k));
      box.appendChild(span);
    });
    if (bands.some(function (l) { return l.side; })) {
      var r = document.createElement("span");
      r.textContent = "↩ a link running back (recycle) ends in an arrow";
      box.appendChild(r);
    }
    if (bands.some(function (l) { return l.folded; })) {
      var f = document.createElement("span");
      f.textContent = "dashed: a folded loop (see the note)";
      box.appendChild(f);
    }
  }

  function select(sk, key, label, options) {
    var wrap = document.createElement("label");
    wrap.textContent = label + " ";
    var sel = document.createElement("select");
    sel.setAttribute("data-k", key);
    options.forEach(function (o) {
      var opt = document.createElement("option");
      opt.value = o[0];
      opt.textContent = o[1];
      sel.appendChild(opt);
    });
    sel.value = sk.state[key];
    sel.addEventListener("change", function () { set(sk, key, sel.value); });
    wrap.appendChild(sel);
    if (options.length < 2 && key !== "measure") { wrap.style.display = "none"; }
    sk.tools.appendChild(wrap);
  }
  function button(sk, text, what) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("data-export", what);
    b.addEventListener("click", function () { exportAs(sk, what); });
    sk.tools.appendChild(b);
  }
  function tools(sk) {
    var spec = sk.spec, ms = spec.measures.map(function (m) {
      return [m.name, m.title + " (" + m.unit + ")"];
    });
    if (!spec.measures.some(function (m) { return m.name === sk.state.measure; })) {
      ms.unshift([sk.state.measure, sk.state.measure + " (nothing to draw)"]);
    }
    if (!spec.measures.length) { return; }
    select(sk, "measure", "Measure", ms);
    select(sk, "group", "Nodes", spec.groups.map(function (g) { return [g.name, g.title]; }));
    select(sk, "bundle", "Flows", spec.bundles.map(function (b) { return [b.name, b.title]; }));
    var lab = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = sk.state.values;
    box.setAttribute("data-k", "values");
    box.addEventListener("change", function () { set(sk, "values", box.checked); });
    lab.appendChild(box);
    lab.appendChild(document.createTextNode(" values"));
    sk.tools.appendChild(lab);
    button(sk, "SVG", "svg");
    button(sk, "PNG", "png");
  }
  function set(sk, key, value) {
    sk.state[key] = value;
    var sel = sk.tools.querySelector('[data-k="' + key + '"]');
    if (sel && sel.type !== "checkbox") { sel.value = value; }
    sk.linkCount = 0;
    draw(sk);
  }

  function svgText(sk) {
    var clone = sk.svg.cloneNode(true);
    clone.setAttribute("xmlns", NS);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(clone);
  }
  function fileName(sk, ext) {
    var s = sk.state;
    return (sk.spec.name + "-" + s.measure + "-" + s.group + "." + ext)
      .replace(/[^\w.\-]+/g, "_");
  }
  function download(sk, blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    sk.exported = name;
  }
  function exportAs(sk, what) {
    if (!sk.svg) { return; }
    var text = svgText(sk);
    if (what === "svg") {
      download(sk, new Blob([text], { type: "image/svg+xml" }), fileName(sk, "svg"));
      return;
    }
    var img = new Image(), W = +sk.svg.getAttribute("width"), H = +sk.svg.getAttribute("height");
    img.onload = function () {
      var c = document.createElement("canvas");
      c.width = W * 2;
      c.height = H * 2;
      var g = c.getContext("2d");
      g.scale(2, 2);
      g.fillStyle = "#ffffff";
      g.fillRect(0, 0, W, H);
      g.drawImage(img, 0, 0, W, H);
      c.toBlob(function (blob) { download(sk, blob, fileName(sk, "png")); }, "image/png");
    };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  }

  // -- hover: a node's links stand out -----------------------------------------------------------
  function hover(sk) {
    sk.canvas.addEventListener("mouseover", function (ev) {
      var s = ev.target.getAttribute && ev.target.getAttribute("data-s");
      if (!sk.svg || s === null || s === undefined) { return; }
      var isNode = ev.target.hasAttribute("data-node");
      var t = ev.target.getAttribute("data-t");
      sk.svg.classList.add("fg-hl");
      [].forEach.call(sk.svg.querySelectorAll(".fg-link, .fg-arrow, .fg-value"), function (p) {
        var on = isNode ? (p.getAttribute("data-s") === s || p.getAttribute("data-t") === s) :
          (p.getAttribute("data-s") === s && p.getAttribute("data-t") === t);
        p.classList.toggle("fg-on", on);
      });
    });
    sk.canvas.addEventListener("mouseleave", function () {
      if (sk.svg) { sk.svg.classList.remove("fg-hl"); }
    });
  }

  function init(root) {
    if (fg.sankeys[root.id]) { return; }
    var spec = JSON.parse(root.querySelector("script.fg-sankey-data").textContent);
    var sk = { root: root, spec: spec, rendered: false,
               state: { measure: spec.initial.measure, group: spec.initial.group,
                        bundle: spec.initial.bundle, values: true },
               tools: root.querySelector(".fg-sankey-tools"),
               note: root.querySelector(".fg-sankey-note"),
               canvas: root.querySelector(".fg-sankey-canvas"),
               legend: root.querySelector(".fg-sankey-legend") };
    sk.set = function (k, v) { return set(sk, k, v); };
    sk.exportAs = function (what) { return exportAs(sk, what); };
    sk.svgText = function () { return svgText(sk); };
    fg.sankeys[root.id] = sk;
    tools(sk);
    hover(sk);
    draw(sk);
  }
  function initAll() {
    [].forEach.call(document.querySelectorAll(".fg-sankey"), init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
}());
