// Pan and zoom for Lantern's maps: the map is a server-drawn SVG that works without this
// script; with it, the view can be zoomed (buttons, + and - keys, the mouse wheel) and panned
// (dragging, arrow keys), and an area reached with Tab is brought into view.
// The project's own code, MIT OR Apache-2.0.
(function () {
  'use strict';

  function setUp(figure) {
    var svg = figure.querySelector('svg.choropleth');
    if (!svg) return;
    var parts = (svg.getAttribute('viewBox') || '').split(/[\s,]+/).map(Number);
    if (parts.length !== 4 || parts.some(isNaN)) return;
    var home = { x: parts[0], y: parts[1], w: parts[2], h: parts[3] };
    var view = { x: home.x, y: home.y, w: home.w, h: home.h };
    var MIN = home.w / 16;

    var status = document.createElement('p');
    status.className = 'map-zoom-status visually-hidden';
    status.setAttribute('aria-live', 'polite');

    function apply() {
      svg.setAttribute('viewBox', [view.x, view.y, view.w, view.h].map(function (v) {
        return v.toFixed(2);
      }).join(' '));
      var zoom = home.w / view.w;
      status.textContent = 'Map zoom ' + zoom.toFixed(1) + ' times';
      svg.setAttribute('data-zoom', zoom.toFixed(3));
    }

    function clamp() {
      view.w = Math.min(home.w, Math.max(MIN, view.w));
      view.h = view.w * home.h / home.w;
      view.x = Math.min(home.x + home.w - view.w, Math.max(home.x, view.x));
      view.y = Math.min(home.y + home.h - view.h, Math.max(home.y, view.y));
    }

    // Zoom by `factor` about the point (cx, cy) in map units, keeping that point still.
    function zoom(factor, cx, cy) {
      if (cx === undefined) {
        cx = view.x + view.w / 2;
        cy = view.y + view.h / 2;
      }
      var w = view.w / factor;
      view.x = cx - (cx - view.x) * (w / view.w);
      view.y = cy - (cy - view.y) * (w / view.w);
      view.w = w;
      clamp();
      apply();
    }

    function pan(dx, dy) {
      view.x += dx * view.w;
      view.y += dy * view.h;
      clamp();
      apply();
    }

    function reset() {
      view = { x: home.x, y: home.y, w: home.w, h: home.h };
      apply();
    }

    // A point on the screen in map units.
    function toMap(clientX, clientY) {
      var r = svg.getBoundingClientRect();
      return {
        x: view.x + (clientX - r.left) / r.width * view.w,
        y: view.y + (clientY - r.top) / r.height * view.h
      };
    }

    var bar = document.createElement('div');
    bar.className = 'map-zoom';
    bar.setAttribute('role', 'group');
    bar.setAttribute('aria-label', 'Zoom and pan the map');
    [
      ['+', 'Zoom in', function () { zoom(1.5); }],
      ['\u2212', 'Zoom out', function () { zoom(1 / 1.5); }],
      ['\u2190', 'Pan west', function () { pan(-0.25, 0); }],
      ['\u2192', 'Pan east', function () { pan(0.25, 0); }],
      ['\u2191', 'Pan north', function () { pan(0, -0.25); }],
      ['\u2193', 'Pan south', function () { pan(0, 0.25); }],
      ['Reset', 'Reset: show the whole map', reset]
    ].forEach(function (b) {
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = b[0];
      button.setAttribute('aria-label', b[1]);
      button.title = b[1];
      button.addEventListener('click', b[2]);
      bar.appendChild(button);
    });
    var help = document.createElement('p');
    help.className = 'map-zoom-help';
    help.textContent = 'Zoom with the buttons, the + and \u2212 keys or the mouse wheel; pan by dragging or with the arrow keys.';
    figure.insertBefore(bar, svg);
    figure.insertBefore(help, svg);
    figure.appendChild(status);

    svg.addEventListener('wheel', function (e) {
      e.preventDefault();
      var p = toMap(e.clientX, e.clientY);
      zoom(e.deltaY < 0 ? 1.25 : 1 / 1.25, p.x, p.y);
    }, { passive: false });

    // Dragging pans; a drag does not follow the link it started on.
    var drag = null;
    var dragged = false;
    svg.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
      dragged = false;
    });
    svg.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x;
      var dy = e.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 5) return;
      if (!dragged) {
        dragged = true;
        svg.setPointerCapture(e.pointerId);
        svg.classList.add('dragging');
      }
      var r = svg.getBoundingClientRect();
      view.x = drag.vx - dx / r.width * view.w;
      view.y = drag.vy - dy / r.height * view.h;
      clamp();
      apply();
    });
    function end() {
      drag = null;
      svg.classList.remove('dragging');
    }
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener('click', function (e) {
      if (dragged) {
        e.preventDefault();
        dragged = false;
      }
    }, true);

    figure.addEventListener('keydown', function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var keys = {
        '+': function () { zoom(1.5); },
        '=': function () { zoom(1.5); },
        '-': function () { zoom(1 / 1.5); },
        '0': reset,
        ArrowLeft: function () { pan(-0.1, 0); },
        ArrowRight: function () { pan(0.1, 0); },
        ArrowUp: function () { pan(0, -0.1); },
        ArrowDown: function () { pan(0, 0.1); }
      };
      var act = keys[e.key];
      if (act) {
        e.preventDefault();
        act();
      }
    });

    // An area reached with Tab is brought into view when it lies outside it.
    svg.addEventListener('focusin', function (e) {
      var shape = e.target.querySelector && e.target.querySelector('path, circle');
      if (!shape || typeof shape.getBBox !== 'function') return;
      var b = shape.getBBox();
      var cx = b.x + b.width / 2;
      var cy = b.y + b.height / 2;
      if (cx < view.x || cx > view.x + view.w || cy < view.y || cy > view.y + view.h) {
        view.x = cx - view.w / 2;
        view.y = cy - view.h / 2;
        clamp();
        apply();
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('.map-figure'), setUp);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
