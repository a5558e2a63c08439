// gan_mnist latent-space page: runs the generator G on noise vectors in
// plain JavaScript, with the weights that generator.js (loaded before this
// file) assigns to window.GAN_MNIST_GENERATOR.
//
// G(z) = tanh(relu(relu(z W1 + b1) W2 + b2) W3 + b3): z is (n, Z) noise,
// the result (n, 784) numbers in (-1, 1), one 28x28 image a row, shown as
// gray levels trunc((0.5 x + 0.5) * 255).
(function () {
  "use strict";

  var SIDE = 28;              // an image is SIDE x SIDE pixels
  var PIXELS = SIDE * SIDE;   // 784
  var GAP = 5;                // black pixels between the images of a grid
  var COLS = 8;               // the grid is COLS x COLS samples
  var COUNT = COLS * COLS;
  var CELL = SIDE + GAP;      // 33: from one image's left edge to the next
  var GRID = COLS * SIDE + (COLS - 1) * GAP;  // 259
  var STEPS = 8;              // images in the row from A to B
  var DIRECTIONS = 4;
  var REACH = 8;              // the direction sliders run over [-REACH, REACH]
  var MARK_SCALE = 2;         // the grid is shown at twice its size
  var MARK_MARGIN = 8;        // see drawMarks

  function $(id) { return document.getElementById(id); }

  function fail(message) {
    var status = $("status");
    status.textContent = message;
    status.hidden = false;
    throw new Error(message);
  }

  // ---- the weights --------------------------------------------------------

  // base64 of little-endian float32 -> Float32Array (a DataView reads them
  // little-endian on any machine).
  function decode(layer) {
    if (layer.dtype !== "float32") fail("generator.js: unknown dtype " + layer.dtype);
    var text = atob(layer.data);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    var view = new DataView(bytes.buffer);
    var out = new Float32Array(bytes.length / 4);
    for (var k = 0; k < out.length; k++) out[k] = view.getFloat32(4 * k, true);
    var want = layer.shape.reduce(function (a, b) { return a * b; }, 1);
    if (out.length !== want) fail("generator.js: " + layer.name + " has the wrong length");
    return out;
  }

  var source = window.GAN_MNIST_GENERATOR;
  if (!source) {
    fail("generator.js did not load: it must be in the same folder as this page.");
  }
  var W = {};
  source.layers.forEach(function (layer) { W[layer.name] = decode(layer); });
  var Z = source.sizes.z, H1 = source.sizes.h1, H2 = source.sizes.h2;

  // ---- the generator ------------------------------------------------------

  // One dense layer for n rows: out = act(input (n, m) . w (m, k) + b (k,)).
  // Sums are float64 (a plain JavaScript number), rounded to float32 once.
  function dense(input, n, m, w, b, k, act) {
    var out = new Float32Array(n * k);
    var acc = new Float64Array(k);
    for (var s = 0; s < n; s++) {
      acc.set(b);
      for (var i = 0; i < m; i++) {
        var x = input[s * m + i];
        if (x === 0) continue;  // half of a relu layer's outputs are 0
        var row = i * k;
        for (var j = 0; j < k; j++) acc[j] += x * w[row + j];
      }
      var base = s * k;
      for (var j2 = 0; j2 < k; j2++) out[base + j2] = act(acc[j2]);
    }
    return out;
  }
  function relu(v) { return v > 0 ? v : 0; }

  // z: n*Z numbers (any array), row after row -> Float32Array n*784 in (-1, 1).
  function forward(z, n) {
    if (z.length !== n * Z) throw new Error("forward: need " + n * Z + " numbers, got " + z.length);
    var x = z instanceof Float32Array ? z : Float32Array.from(z);
    var h1 = dense(x, n, Z, W.g_w1, W.g_b1, H1, relu);
    var h2 = dense(h1, n, H1, W.g_w2, W.g_b2, H2, relu);
    return dense(h2, n, H2, W.g_w3, W.g_b3, PIXELS, Math.tanh);
  }

  // ---- noise from a seed --------------------------------------------------

  // mulberry32: a small 32-bit generator; uniform numbers in [0, 1).
  function mulberry32(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6D2B79F5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // count standard normal numbers (Box-Muller) from the seed's stream.
  function normals(uniform, count) {
    var out = new Float32Array(count);
    for (var i = 0; i < count; i += 2) {
      var u1 = 1 - uniform();  // in (0, 1]: log(u1) is finite
      var u2 = uniform();
      var r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  // The seed's stream gives the grid's 64 noise vectors first, then the
  // directions, made orthonormal (Gram-Schmidt) so each slider moves A by
  // exactly its value, independently of the others.
  function drawNoise(seed) {
    var uniform = mulberry32(seed);
    var z = normals(uniform, COUNT * Z);
    var raw = normals(uniform, DIRECTIONS * Z);
    var dirs = [];
    for (var d = 0; d < DIRECTIONS; d++) {
      var v = Float64Array.from(raw.subarray(d * Z, (d + 1) * Z));
      dirs.forEach(function (u) {
        var dot = 0;
        for (var i = 0; i < Z; i++) dot += v[i] * u[i];
        for (var i2 = 0; i2 < Z; i2++) v[i2] -= dot * u[i2];
      });
      var norm = 0;
      for (var j = 0; j < Z; j++) norm += v[j] * v[j];
      norm = Math.sqrt(norm);
      for (var j2 = 0; j2 < Z; j2++) v[j2] /= norm;
      dirs.push(v);
    }
    return { z: z, directions: dirs };
  }

  // ---- drawing ------------------------------------------------------------

  function gray(x) {
    var c = x < -1 ? -1 : (x > 1 ? 1 : x);
    return Math.trunc((0.5 * c + 0.5) * 255);
  }

  // images: Float32Array count*784; draws them in rows of `cols` with GAP
  // black pixels between, onto a canvas of exactly that size.
  function paint(canvas, images, count, cols) {
    var ctx = canvas.getContext("2d");
    var img = ctx.createImageData(canvas.width, canvas.height);
    var px = img.data;
    for (var i = 3; i < px.length; i += 4) px[i] = 255;  // opaque black
    for (var s = 0; s < count; s++) {
      var x0 = (s % cols) * CELL, y0 = Math.floor(s / cols) * CELL;
      for (var y = 0; y < SIDE; y++) {
        for (var x = 0; x < SIDE; x++) {
          var v = gray(images[s * PIXELS + y * SIDE + x]);
          var o = 4 * ((y0 + y) * canvas.width + x0 + x);
          px[o] = px[o + 1] = px[o + 2] = v;
        }
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  // ---- the page's state ---------------------------------------------------

  var state = {
    seed: 1,
    z: null,           // Float32Array 64*Z, the grid's noise
    images: null,      // Float32Array 64*784
    directions: null,  // DIRECTIONS Float64Arrays of Z, orthonormal
    a: 0,
    b: COUNT - 1,
    nextPick: "a",
    t: 0.5,
    offsets: [0, 0, 0, 0]
  };

  function row(index) { return state.z.subarray(index * Z, (index + 1) * Z); }

  function drawGrid(seed) {
    var s = Number(seed);
    if (!Number.isFinite(s) || s < 0 || s > 4294967295 || Math.floor(s) !== s) {
      throw new Error("the seed must be a whole number from 0 to 4294967295");
    }
    state.seed = s;
    var noise = drawNoise(s);
    state.z = noise.z;
    state.directions = noise.directions;
    state.images = forward(state.z, COUNT);
    paint($("grid"), state.images, COUNT, COLS);
    $("seed").value = String(s);
    drawMarks();
    drawWalk();
    drawMoved();
    return s;
  }

  // #marks lies over the grid with MARK_MARGIN CSS pixels to spare on
  // every side, so that an outline around an edge image is not cut off.
  function drawMarks() {
    var canvas = $("marks"), ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    var style = getComputedStyle(document.documentElement);
    [["a", "--a"], ["b", "--b"]].forEach(function (m) {
      var index = state[m[0]];
      var x = MARK_MARGIN + (index % COLS) * CELL * MARK_SCALE;
      var y = MARK_MARGIN + Math.floor(index / COLS) * CELL * MARK_SCALE;
      var size = SIDE * MARK_SCALE;
      // A 3-pixel line in the middle of the 10-pixel gap around the image.
      ctx.strokeStyle = style.getPropertyValue(m[1]).trim();
      ctx.lineWidth = 3;
      ctx.strokeRect(x - 3.5, y - 3.5, size + 7, size + 7);
    });
    var hint = state.nextPick === "a" ? "Click a digit to pick <b class=\"a\">A</b>."
                                      : "Now click another digit to pick <b class=\"b\">B</b>.";
    $("pick-hint").innerHTML = hint;  // fixed text, no user input
  }

  function drawWalk() {
    var za = row(state.a), zb = row(state.b);
    var mixed = new Float32Array(Z);
    for (var i = 0; i < Z; i++) mixed[i] = (1 - state.t) * za[i] + state.t * zb[i];
    paint($("mix"), forward(mixed, 1), 1, 1);
    var walk = new Float32Array(STEPS * Z);
    for (var s = 0; s < STEPS; s++) {
      var t = s / (STEPS - 1);
      for (var j = 0; j < Z; j++) walk[s * Z + j] = (1 - t) * za[j] + t * zb[j];
    }
    paint($("steps"), forward(walk, STEPS), STEPS, STEPS);
    $("t-value").textContent = state.t.toFixed(2);
  }

  function drawMoved() {
    var za = row(state.a);
    var moved = new Float32Array(Z);
    for (var i = 0; i < Z; i++) {
      var v = za[i];
      for (var d = 0; d < DIRECTIONS; d++) v += state.offsets[d] * state.directions[d][i];
      moved[i] = v;
    }
    paint($("moved"), forward(moved, 1), 1, 1);
    for (var k = 0; k < DIRECTIONS; k++) {
      $("d" + (k + 1) + "-value").textContent = state.offsets[k].toFixed(1);
    }
  }

  function pick(which, index) {
    if (!(index >= 0 && index < COUNT)) throw new Error("pick: no sample " + index);
    state[which] = index;
    state.nextPick = which === "a" ? "b" : "a";
    drawMarks();
    drawWalk();
    drawMoved();
  }

  // PNG bytes of the grid, as the canvas shows it (259x259, no marks).
  function gridBlob() {
    return new Promise(function (resolve) { $("grid").toBlob(resolve, "image/png"); });
  }

  function save() {
    return gridBlob().then(function (blob) {
      var url = URL.createObjectURL(blob);
      var link = document.createElement("a");
      link.href = url;
      link.download = "gan-mnist-seed-" + state.seed + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
      // The download has taken its copy once click() returns; keep the URL
      // a little longer for browsers that start it asynchronously.
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      return link.download;
    });
  }

  // Gray levels (the red channel) of canvas `id`, row after row.
  function pixels(id) {
    var canvas = $(id);
    var data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    var out = new Array(canvas.width * canvas.height);
    for (var i = 0; i < out.length; i++) out[i] = data[4 * i];
    return out;
  }

  // ---- the controls -------------------------------------------------------

  function buildSliders() {
    var box = $("direction-sliders");
    for (var k = 1; k <= DIRECTIONS; k++) {
      var line = document.createElement("div");
      line.className = "slider";
      line.innerHTML =
        '<label for="d' + k + '">s<sub>' + k + '</sub></label>' +
        '<input id="d' + k + '" type="range" min="' + -REACH + '" max="' + REACH +
        '" step="0.1" value="0">' +
        '<output id="d' + k + '-value" for="d' + k + '">0.0</output>';
      box.appendChild(line);
    }
  }

  function readOffsets() {
    for (var k = 0; k < DIRECTIONS; k++) state.offsets[k] = Number($("d" + (k + 1)).value);
  }

  function wire() {
    $("seed-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      try {
        drawGrid($("seed").value);
        $("status").hidden = true;
      } catch (e) {
        $("status").textContent = e.message;
        $("status").hidden = false;
      }
    });
    $("save").addEventListener("click", function () { save(); });
    $("marks").addEventListener("click", function (ev) {
      var box = $("grid").getBoundingClientRect();
      var gx = (ev.clientX - box.left) * GRID / box.width;
      var gy = (ev.clientY - box.top) * GRID / box.height;
      // A click in a gap counts for the image to its left or above it, one
      // on the margin for the nearest image.
      var col = Math.min(COLS - 1, Math.max(0, Math.floor(gx / CELL)));
      var line = Math.min(COLS - 1, Math.max(0, Math.floor(gy / CELL)));
      pick(state.nextPick, line * COLS + col);
    });
    $("t").addEventListener("input", function (ev) {
      state.t = Number(ev.target.value);
      drawWalk();
    });
    for (var k = 1; k <= DIRECTIONS; k++) {
      $("d" + k).addEventListener("input", function () { readOffsets(); drawMoved(); });
    }
    $("reset").addEventListener("click", function () {
      for (var k = 1; k <= DIRECTIONS; k++) $("d" + k).value = "0";
      readOffsets();
      drawMoved();
    });
  }

  // One line: where the weights came from, every key of `info`, plain
  // values first (source, checkpoint, epochs), nested ones after them as
  // JSON; the line ends in an ellipsis where the page is too narrow, and
  // the whole of it is in the tooltip.
  function describe(info) {
    var keys = Object.keys(info || {});
    if (!keys.length) return "not recorded";
    function nested(key) { return typeof info[key] === "object" && info[key] !== null; }
    var plain = keys.filter(function (k) { return !nested(k); });
    var deep = keys.filter(nested);
    return plain.concat(deep).map(function (key) {
      var v = info[key];
      return key + ": " + (nested(key) ? JSON.stringify(v) : String(v));
    }).join(" \u00b7 ");
  }

  var line = describe(source.info);
  $("info").textContent = "Weights \u2014 " + line + " \u00b7 layers " + Z + " \u2192 " +
                          H1 + " \u2192 " + H2 + " \u2192 " + PIXELS;
  $("info").title = JSON.stringify(source.info, null, 1);
  $("z-size").textContent = String(Z);
  buildSliders();
  wire();
  drawGrid(Number($("seed").value) || 0);

  // For tests and the curious: the page's generator and controls.
  window.ganMnist = {
    sizes: { z: Z, h1: H1, h2: H2, image: PIXELS, grid: GRID },
    info: source.info,
    forward: forward,                       // (zFlat, n) -> Float32Array n*784
    noise: function (seed) { return drawNoise(seed >>> 0).z; },  // 64*Z
    drawGrid: drawGrid,                     // (seed) -> seed
    gridPixels: function () { return pixels("grid"); },  // 259*259 gray levels
    pixels: pixels,                         // (canvas id) -> gray levels
    pick: pick,                             // ("a" | "b", 0..63)
    state: function () {
      return { seed: state.seed, a: state.a, b: state.b, nextPick: state.nextPick,
               t: state.t, offsets: state.offsets.slice() };
    },
    gridPNG: function () {                  // -> Promise of a data: URL
      return gridBlob().then(function (blob) {
        return new Promise(function (resolve) {
          var reader = new FileReader();
          reader.onload = function () { resolve(reader.result); };
          reader.readAsDataURL(blob);
        });
      });
    },
    save: save,
    ready: true
  };
})();
